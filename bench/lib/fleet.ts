/**
 * The main process's side of the long-polling children: splits users over processes and
 * 127.x source addresses, forwards first deliveries to the scenario, sums counters.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMsg, ChildStats, ParentMsg, SyncerConfig, SyncerSpec } from './protocol.js';
import { addCounts, emptyCounts } from './tags.js';

export interface FleetOptions extends Omit<SyncerConfig, 'localAddress'> {
  /** Spread children over 127.0.x.y source addresses (IPv4 loopback targets on Linux). */
  spreadSources: boolean;
  perChild: number;
  /** Called for every first delivery: update `seq` reached an observer at `ts`. */
  onDelivery: (seq: number, ts: number) => void;
  readyTimeoutMs: number;
  log: (msg: string) => void;
}

/** The loader a .ts child needs; resolved from here so the cwd does not matter. */
function loaderArgs(): string[] {
  try {
    return ['--import', import.meta.resolve('tsx')];
  } catch {
    return ['--import', 'tsx'];
  }
}

/** Child i's source address: 127.0.1.1, 127.0.1.2, ... (127.0.0.1 stays the main process's). */
export function sourceAddress(i: number): string {
  return `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/** Splits n users into the fewest children of at most perChild each, sizes as even as possible. */
export function splitSizes(n: number, perChild: number): number[] {
  const k = Math.max(1, Math.ceil(n / perChild));
  const base = Math.floor(n / k);
  return Array.from({ length: k }, (_, i) => base + (i < n % k ? 1 : 0));
}

interface Child {
  proc: ChildProcess;
  stats?: ChildStats;
  done: Promise<ChildStats>;
}

export class Fleet {
  private constructor(private readonly children: Child[]) {}

  static async start(users: SyncerSpec[], o: FleetOptions): Promise<Fleet> {
    const script = fileURLToPath(new URL('../syncChild.ts', import.meta.url));
    const sizes = splitSizes(users.length, o.perChild);
    const children: Child[] = [];
    const readies: Promise<void>[] = [];
    let offset = 0;
    sizes.forEach((size, i) => {
      const slice = users.slice(offset, offset + size);
      offset += size;
      const proc = fork(script, [], { execArgv: loaderArgs(), serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let ready!: () => void;
      let fail!: (e: Error) => void;
      readies.push(new Promise<void>((res, rej) => { ready = res; fail = rej; }));
      const child: Child = { proc, done: Promise.resolve(emptyStats()) };
      child.done = new Promise<ChildStats>((resolve) => {
        proc.on('message', (m: ChildMsg) => {
          if (m.type === 'batch') {
            child.stats = m.stats;
            for (let j = 0; j < m.seqs.length; j++) o.onDelivery(m.seqs[j], m.ts[j]);
          } else if (m.type === 'ready') {
            if (m.failed > 0) fail(new Error(`${m.failed} users failed their initial /sync: ${m.firstError ?? ''}`));
            else ready();
          } else if (m.type === 'done') {
            child.stats = m.stats;
            resolve(m.stats);
          }
        });
        proc.on('exit', (code) => {
          fail(new Error(`sync child exited with ${code} before it was ready`));
          resolve(child.stats ?? emptyStats());
        });
      });
      const { onDelivery: _d, spreadSources, perChild: _p, readyTimeoutMs: _r, log: _l, ...cfg } = o;
      const msg: ParentMsg = { type: 'init', users: slice, ...cfg, localAddress: spreadSources ? sourceAddress(i) : undefined };
      proc.send(msg);
      children.push(child);
    });
    const fleet = new Fleet(children);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`observers not ready after ${o.readyTimeoutMs} ms (${fleet.stats().initialDone}/${users.length} initial syncs done)`)), o.readyTimeoutMs);
    });
    const progress = setInterval(() => o.log(`initial syncs ${fleet.stats().initialDone}/${users.length}`), 10_000);
    try {
      await Promise.race([Promise.all(readies), timeout]);
    } catch (e) {
      fleet.kill();
      throw e;
    } finally {
      clearTimeout(timer);
      clearInterval(progress);
    }
    return fleet;
  }

  get processes(): number {
    return this.children.length;
  }

  /** Counters summed over children, as of their latest batch. */
  stats(): ChildStats {
    return sumStats(this.children.map((c) => c.stats ?? emptyStats()));
  }

  measure(): void {
    for (const c of this.children) c.proc.send({ type: 'measure' } satisfies ParentMsg);
  }

  /**
   * Tells every child that the server refused update k of sender, so that no observer
   * counts it as coalesced. Sent in batches, once per turn; IPC keeps them ahead of `stop`.
   */
  readonly refuse = (sender: number, k: number): void => {
    this.refusedSenders.push(sender);
    this.refusedKs.push(k);
    if (this.refusedSenders.length === 1) setImmediate(() => this.sendRefused());
  };

  private refusedSenders: number[] = [];
  private refusedKs: number[] = [];

  private sendRefused(): void {
    if (this.refusedSenders.length === 0) return;
    const msg: ParentMsg = { type: 'refused', senders: this.refusedSenders, ks: this.refusedKs };
    this.refusedSenders = [];
    this.refusedKs = [];
    for (const c of this.children) if (c.proc.connected) c.proc.send(msg);
  }

  /** Stops every child and returns their final counters. */
  async stop(): Promise<ChildStats> {
    this.sendRefused();
    for (const c of this.children) {
      if (c.proc.connected) c.proc.send({ type: 'stop' } satisfies ParentMsg);
    }
    const killer = setTimeout(() => this.kill(), 10_000);
    const all = await Promise.all(this.children.map((c) => c.done));
    clearTimeout(killer);
    return sumStats(all);
  }

  kill(): void {
    for (const c of this.children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  }
}

export function emptyStats(): ChildStats {
  return { syncs: 0, syncErrors: 0, errorsByStatus: {}, warm: 0, initialDone: 0, counts: emptyCounts(), cpuMs: 0 };
}

export function sumStats(list: ChildStats[]): ChildStats {
  const out = emptyStats();
  for (const s of list) {
    out.syncs += s.syncs;
    out.syncErrors += s.syncErrors;
    out.warm += s.warm;
    out.initialDone += s.initialDone;
    out.cpuMs += s.cpuMs;
    addCounts(out.counts, s.counts);
    for (const [k, v] of Object.entries(s.errorsByStatus)) out.errorsByStatus[k] = (out.errorsByStatus[k] ?? 0) + v;
  }
  return out;
}
