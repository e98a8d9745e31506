/**
 * One measured run: when each update was sent, delivery latencies, PUT outcomes, server
 * and bench cost, folded into the figures every report shows.
 */
import { errorKind, type Account, type Homeserver } from './hs.js';
import type { MixDescription } from './roomMix.js';
import { ProcSampler, type ServerCost } from './proc.js';
import type { ChildStats } from './protocol.js';
import { SampleRecorder, nowMs, type Summary } from './stats.js';
import { makeTag, missingOf, type Tag } from './tags.js';

export interface Figures {
  /** Measured window: load plus drain, seconds. */
  durationS: number;
  /** Seconds during which updates were sent. */
  loadS: number;
  updatesSent: number;
  updateErrors: number;
  putPerSec: number;
  /** Update deliveries owed: each update times the observers who share a room with its sender. */
  expected: number;
  delivered: number;
  coalesced: number;
  missing: number;
  duplicates: number;
  reordered: number;
  deliveredPerSec: number;
  syncRequests: number;
  syncPerSec: number;
  syncErrors: number;
  messagesSent: number;
  messageErrors: number;
  errorsByStatus: Record<string, number>;
  serverCpuMs: number | null;
  /** Percent of one core. */
  serverCpuPct: number | null;
  serverCpuMsPerDelivered: number | null;
  serverCpuMsPerUpdate: number | null;
  serverPeakRssMB: number | null;
  serverHwmMB: number | null;
  benchCpuMs: number;
  benchCpuPct: number;
  benchProcesses: number;
}

export interface RunResult {
  scenario: 'fanout' | 'population';
  target: string;
  startedAt: string;
  figures: Figures;
  latency: Summary;
  putLatency: Summary;
  /** Delivery latencies (ms); the report's histogram and CDF, not written to JSON raw. */
  samples: Float64Array;
  mix?: MixDescription;
  notes: string[];
}

export class Measurement {
  readonly latency = new SampleRecorder();
  readonly putLatency = new SampleRecorder();
  readonly notes: string[] = [];
  private sentAt = new Float64Array(4096);
  private nextSeq = 1;
  updatesOk = 0;
  updateErrors = 0;
  expected = 0;
  messagesOk = 0;
  messageErrors = 0;
  inFlight = 0;
  messagesInFlight = 0;
  /** After end(), late answers no longer change the figures. */
  private ended = false;
  private progress?: NodeJS.Timeout;
  readonly errorsByStatus: Record<string, number> = {};
  private sampler?: ProcSampler;
  private cpuBase?: NodeJS.CpuUsage;
  private t0 = 0;
  private tLoadEnd = 0;
  private t1 = 0;
  private server?: ServerCost;
  private ownCpuMs = 0;
  readonly startedAt = new Date().toISOString();

  constructor(private readonly pid?: number) {}

  /** Reserves the next update sequence number. */
  seq(): number {
    const s = this.nextSeq++;
    if (s >= this.sentAt.length) {
      const b = new Float64Array(this.sentAt.length * 2);
      b.set(this.sentAt);
      this.sentAt = b;
    }
    return s;
  }

  get sentCount(): number {
    return this.nextSeq - 1;
  }

  readonly onDelivery = (seq: number, ts: number): void => {
    const t = this.sentAt[seq];
    if (t > 0) this.latency.add(ts - t);
  };

  countError(key: string): void {
    this.errorsByStatus[key] = (this.errorsByStatus[key] ?? 0) + 1;
  }

  /** Told of each update the server answered with an error status (Fleet.refuse). */
  onRefused?: (sender: number, k: number) => void;

  /** PUTs one tagged presence; `audience` observers are owed it if the server accepts it. */
  async putPresence(hs: Homeserver, acc: Account, presence: string, run: string, tag: Tag, audience: number): Promise<void> {
    // Queued behind its sender's previous PUT (population) past the end: never sent.
    if (this.ended) return;
    const t = nowMs();
    this.sentAt[tag.seq] = t;
    this.inFlight++;
    try {
      const r = await hs.putPresence(acc, presence, makeTag(run, tag));
      if (this.ended) return;
      if (r.status >= 200 && r.status < 300) {
        this.updatesOk++;
        this.expected += audience;
        this.putLatency.add(nowMs() - t);
      } else {
        this.updateErrors++;
        this.countError(`put_${r.status}`);
        // An answered refusal (a 429, say) was not applied. A network error may have been,
        // so it is left out: if it shows up, it counts as delivered.
        this.onRefused?.(tag.sender, tag.k);
      }
    } catch (e) {
      if (this.ended) return;
      this.updateErrors++;
      this.countError(`put_${errorKind(e)}`);
    } finally {
      this.inFlight--;
    }
  }

  /** Sends one room message, counted as sent or failed. */
  async sendMessage(hs: Homeserver, acc: Account, roomId: string, txnId: string): Promise<void> {
    this.messagesInFlight++;
    try {
      const r = await hs.sendText(acc, roomId, txnId, `bench message ${txnId}`);
      if (this.ended) return;
      if (r.status === 200) this.messagesOk++;
      else {
        this.messageErrors++;
        this.countError(`send_${r.status}`);
      }
    } catch (e) {
      if (this.ended) return;
      this.messageErrors++;
      this.countError(`send_${errorKind(e)}`);
    } finally {
      this.messagesInFlight--;
    }
  }

  /** Starts the window; every 5 s a progress line goes to `log`. */
  begin(log?: (msg: string) => void, stats?: () => ChildStats): void {
    if (this.pid !== undefined) {
      this.sampler = new ProcSampler(this.pid);
      this.sampler.start();
    }
    this.cpuBase = process.cpuUsage();
    this.t0 = nowMs();
    if (log && stats) {
      this.progress = setInterval(() => {
        const s = stats();
        log(`${((nowMs() - this.t0) / 1000).toFixed(0)}s: ${this.updatesOk} updates (${this.inFlight} in flight, ${this.updateErrors} failed), ${s.counts.delivered} delivered, ${s.syncs} syncs, ${s.syncErrors} sync errors`);
      }, 5000);
      this.progress.unref();
    }
  }

  endLoad(): void {
    this.tLoadEnd = nowMs();
  }

  /** Waits until every owed delivery is accounted for, or drainMs passes. */
  async drain(drainMs: number, stats: () => ChildStats): Promise<void> {
    const until = nowMs() + drainMs;
    while (nowMs() < until) {
      const c = stats().counts;
      if (this.inFlight === 0 && this.messagesInFlight === 0 && c.delivered + c.coalesced >= this.expected) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the clocks and the server sampler; counters still arriving are kept. */
  end(): void {
    this.t1 = nowMs();
    this.ended = true;
    clearInterval(this.progress);
    // Requests the server has not answered by now are failures of this run.
    if (this.inFlight > 0) {
      this.updateErrors += this.inFlight;
      this.errorsByStatus.put_unanswered = this.inFlight;
    }
    if (this.messagesInFlight > 0) {
      this.messageErrors += this.messagesInFlight;
      this.errorsByStatus.send_unanswered = this.messagesInFlight;
    }
    this.server = this.sampler?.stop();
    if (this.server?.exited) this.notes.push(`the server process (pid ${this.pid}) exited during the run: its CPU and memory are as of its last sample`);
    const u = this.cpuBase ? process.cpuUsage(this.cpuBase) : { user: 0, system: 0 };
    this.ownCpuMs = (u.user + u.system) / 1000;
  }

  /** The figures, with the children's final counters and CPU in `fleet`. */
  result(fleet: ChildStats, processes: number, scenario: RunResult['scenario'], target: string, mix?: MixDescription): RunResult {
    if (this.t1 === 0) this.end();
    const server = this.server;
    const durationS = (this.t1 - this.t0) / 1000;
    const loadS = Math.max(1e-3, ((this.tLoadEnd || this.t1) - this.t0) / 1000);
    const benchCpuMs = this.ownCpuMs + fleet.cpuMs;
    const c = fleet.counts;
    const errorsByStatus = { ...this.errorsByStatus };
    for (const [k, v] of Object.entries(fleet.errorsByStatus)) errorsByStatus[`sync_${k}`] = v;
    const figures: Figures = {
      durationS,
      loadS,
      updatesSent: this.updatesOk,
      updateErrors: this.updateErrors,
      putPerSec: this.updatesOk / loadS,
      expected: this.expected,
      delivered: c.delivered,
      coalesced: c.coalesced,
      missing: missingOf(this.expected, c),
      duplicates: c.duplicates,
      reordered: c.reordered,
      deliveredPerSec: c.delivered / durationS,
      syncRequests: fleet.syncs,
      syncPerSec: fleet.syncs / durationS,
      syncErrors: fleet.syncErrors,
      messagesSent: this.messagesOk,
      messageErrors: this.messageErrors,
      errorsByStatus,
      serverCpuMs: server ? server.cpuMs : null,
      serverCpuPct: server ? (server.cpuMs / (durationS * 1000)) * 100 : null,
      serverCpuMsPerDelivered: server && c.delivered > 0 ? server.cpuMs / c.delivered : null,
      serverCpuMsPerUpdate: server && this.updatesOk > 0 ? server.cpuMs / this.updatesOk : null,
      serverPeakRssMB: server ? server.peakRssMB : null,
      serverHwmMB: server ? server.hwmMB : null,
      benchCpuMs,
      benchCpuPct: (benchCpuMs / (durationS * 1000)) * 100,
      benchProcesses: processes + 1,
    };
    return {
      scenario,
      target,
      startedAt: this.startedAt,
      figures,
      latency: this.latency.summary(),
      putLatency: this.putLatency.summary(),
      samples: this.latency.values(),
      mix,
      notes: this.notes,
    };
  }
}
