/**
 * A group of users each long-polling /sync on a keep-alive connection of their own: the observers of
 * fanout, the population of population. Runs inside a child process (syncChild.ts).
 * Bodies are scanned for tags and next_batch without JSON.parse, so the load generator
 * stays cheap per response.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'undici';
import { V3, errorKind, fastRequest, makeClient, retryAfterMs } from './hs.js';
import type { ChildStats, SyncerConfig, SyncerSpec } from './protocol.js';
import { nowMs } from './stats.js';
import { DeliveryTracker, nextBatchOf, scanTags, warmTag } from './tags.js';

interface Syncer {
  index: number;
  /** The user's own connection. */
  conn: Client;
  headers: Record<string, string>;
  since: string;
  warm: boolean;
  looping: boolean;
}

export class SyncerGroup {
  private readonly syncers: Syncer[];
  private readonly tracker = new DeliveryTracker();
  private readonly pathHead: string;
  private readonly warmMarker: string;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private cpuBase: NodeJS.CpuUsage = process.cpuUsage();
  private syncs = 0;
  private syncErrors = 0;
  private errorsByStatus: Record<string, number> = {};
  private warm = 0;
  private initialDone = 0;
  private seqs = new Float64Array(1024);
  private ts = new Float64Array(1024);
  private pending = 0;

  constructor(users: SyncerSpec[], private readonly cfg: SyncerConfig) {
    const connOpts = { localAddress: cfg.localAddress, timeoutMs: cfg.syncTimeoutMs + 60_000 };
    this.syncers = users.map((u) => ({ index: u.index, conn: makeClient(cfg.origin, connOpts), headers: { authorization: `Bearer ${u.token}` }, since: '', warm: false, looping: false }));
    this.pathHead = `${V3}/sync?set_presence=${cfg.setPresence}&filter=${encodeURIComponent(cfg.filter)}`;
    this.warmMarker = warmTag(cfg.run);
  }

  /** Initial syncs (timeout 0), bounded; returns how many users failed theirs. */
  async initialSync(): Promise<{ failed: number; firstError?: string }> {
    let next = 0;
    let failed = 0;
    let firstError: string | undefined;
    const worker = async () => {
      while (next < this.syncers.length && !this.stopped) {
        const s = this.syncers[next++];
        for (let attempt = 1; ; attempt++) {
          try {
            const { status, text } = await fastRequest(s.conn, 'GET', `${this.pathHead}&timeout=0`, s.headers);
            const nb = status === 200 ? nextBatchOf(text) : undefined;
            if (nb !== undefined) {
              s.since = nb;
              this.initialDone++;
              // Long-polls from here on, as a client does after its first sync: connections
              // then open as fast as initial syncs finish, not all at once after the last.
              this.startLoop(s);
              break;
            }
            if (status === 429) {
              await sleep(retryAfterMs(text));
              continue;
            }
            throw new Error(`initial sync: HTTP ${status} ${text.slice(0, 200)}`);
          } catch (e) {
            if (this.stopped) return;
            if (attempt >= 3) {
              failed++;
              firstError ??= (e as Error).message;
              break;
            }
            await sleep(200 * attempt);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.cfg.initConcurrency, this.syncers.length) }, worker));
    return { failed, firstError };
  }

  /** Starts the long-poll loop of every user whose loop has not started (initial syncs start their own). */
  startLoops(): void {
    for (const s of this.syncers) this.startLoop(s);
  }

  private startLoop(s: Syncer): void {
    if (s.looping || this.stopped) return;
    s.looping = true;
    this.loops.push(this.loop(s));
  }

  /** The server refused this update of sender: observers were never owed it. */
  refuse(sender: number, k: number): void {
    this.tracker.refuse(sender, k);
  }

  /** Counters restart here: what comes before is setup. */
  measure(): void {
    this.cpuBase = process.cpuUsage();
    this.syncs = 0;
    this.syncErrors = 0;
    this.errorsByStatus = {};
  }

  private countError(key: string): void {
    this.syncErrors++;
    this.errorsByStatus[key] = (this.errorsByStatus[key] ?? 0) + 1;
  }

  private async loop(s: Syncer): Promise<void> {
    const timeoutPart = `&timeout=${this.cfg.syncTimeoutMs}&since=`;
    while (!this.stopped) {
      let status: number;
      let text: string;
      try {
        ({ status, text } = await fastRequest(s.conn, 'GET', this.pathHead + timeoutPart + encodeURIComponent(s.since), s.headers));
      } catch (e) {
        if (this.stopped) return;
        this.countError(errorKind(e));
        await sleep(250);
        continue;
      }
      const t = nowMs();
      if (status !== 200) {
        this.countError(String(status));
        await sleep(status === 429 ? retryAfterMs(text) : 250);
        continue;
      }
      this.syncs++;
      const nb = nextBatchOf(text);
      if (nb === undefined) {
        this.countError('no_next_batch');
        await sleep(250);
        continue;
      }
      s.since = nb;
      if (!s.warm && text.includes(this.warmMarker)) {
        s.warm = true;
        this.warm++;
      }
      scanTags(text, this.cfg.run, (sender, k, seq) => {
        // Users see their own presence too; that is not a delivery to an observer.
        if (sender !== s.index && this.tracker.see(s.index, sender, k)) this.push(seq, t);
      });
    }
  }

  private push(seq: number, t: number): void {
    if (this.pending === this.seqs.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.seqs = grow(this.seqs);
      this.ts = grow(this.ts);
    }
    this.seqs[this.pending] = seq;
    this.ts[this.pending] = t;
    this.pending++;
  }

  /** Deliveries since the last call (copies), and the counters so far. */
  takeBatch(): { seqs: Float64Array; ts: Float64Array; stats: ChildStats } {
    const seqs = this.seqs.slice(0, this.pending);
    const ts = this.ts.slice(0, this.pending);
    this.pending = 0;
    return { seqs, ts, stats: this.stats() };
  }

  stats(): ChildStats {
    const u = process.cpuUsage(this.cpuBase);
    return {
      syncs: this.syncs,
      syncErrors: this.syncErrors,
      errorsByStatus: { ...this.errorsByStatus },
      warm: this.warm,
      initialDone: this.initialDone,
      counts: { ...this.tracker.counts },
      cpuMs: (u.user + u.system) / 1000,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Destroying the connections fails every request in flight, which ends each loop.
    await Promise.all(this.syncers.map((s) => s.conn.destroy().catch(() => undefined)));
    await Promise.allSettled(this.loops);
  }
}
