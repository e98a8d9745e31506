/**
 * Server-side cost from /proc: CPU seconds (utime + stime) and resident memory of a pid,
 * read only when the operator names the server's pid with --pid.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat; 100 on every mainstream Linux. */
const CLK_TCK = 100;

/** utime + stime in ms from the text of /proc/<pid>/stat. */
export function cpuMsFromStat(stat: string): number {
  // comm (field 2) may contain spaces and parentheses: fields are counted after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unreadable /proc stat');
  return ((utime + stime) * 1000) / CLK_TCK;
}

/** VmRSS and VmHWM (peak RSS) in MB from the text of /proc/<pid>/status. */
export function memFromStatus(status: string): { rssMB: number; hwmMB: number } {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  };
  return { rssMB: kb('VmRSS'), hwmMB: kb('VmHWM') };
}

export interface ProcSnapshot {
  cpuMs: number;
  rssMB: number;
  hwmMB: number;
}

export function readProc(pid: number): ProcSnapshot {
  const cpuMs = cpuMsFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return { cpuMs, ...memFromStatus(readFileSync(`/proc/${pid}/status`, 'utf8')) };
}

export interface ServerCost {
  cpuMs: number;
  /** Highest VmRSS sampled during the window. */
  peakRssMB: number;
  /** VmHWM at the end: the process's peak since it started (setup included). */
  hwmMB: number;
  /** The process was gone by the end: the figures stop at its last sample. */
  exited: boolean;
}

/** Samples a pid every `everyMs` between start() and stop(); the RSS peak is the sampled maximum. */
export class ProcSampler {
  private first?: ProcSnapshot;
  private latest?: ProcSnapshot;
  private peakRss = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly pid: number, private readonly everyMs = 250) {}

  start(): void {
    this.first = this.latest = readProc(this.pid);
    this.peakRss = this.first.rssMB;
    this.timer = setInterval(() => {
      try {
        const s = (this.latest = readProc(this.pid));
        if (s.rssMB > this.peakRss) this.peakRss = s.rssMB;
      } catch {
        // The server exiting mid-run shows up in stop().
      }
    }, this.everyMs);
    this.timer.unref();
  }

  stop(): ServerCost {
    clearInterval(this.timer);
    if (!this.first || !this.latest) throw new Error('sampler not started');
    let last: ProcSnapshot;
    let exited = false;
    try {
      last = readProc(this.pid);
    } catch {
      // A server that crashed (out of memory, say) still gets a report, saying so.
      last = this.latest;
      exited = true;
    }
    return {
      cpuMs: last.cpuMs - this.first.cpuMs,
      peakRssMB: Math.max(this.peakRss, last.rssMB),
      hwmMB: last.hwmMB,
      exited,
    };
  }
}

/** This process's own CPU in ms since `since` (process.cpuUsage). */
export function ownCpuMs(since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}
