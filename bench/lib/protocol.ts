/** Messages between the bench's main process and its long-polling child processes. */
import type { DeliveryCounts } from './tags.js';

export interface SyncerSpec {
  /** The bench's user index: the `sender` of that user's tags. */
  index: number;
  userId: string;
  token: string;
}

export interface SyncerConfig {
  origin: string;
  /** Source address for this child's sockets (127.x), or none. */
  localAddress?: string;
  run: string;
  /** Inline filter JSON for every /sync of this child. */
  filter: string;
  setPresence: 'online' | 'offline' | 'unavailable';
  syncTimeoutMs: number;
  /** Initial syncs in flight at once. */
  initConcurrency: number;
}

export interface ChildStats {
  /** Successful /sync answers since `measure`. */
  syncs: number;
  syncErrors: number;
  errorsByStatus: Record<string, number>;
  /** Users that have seen the warm-up tag. */
  warm: number;
  /** Users whose initial /sync is done (progress of a large setup). */
  initialDone: number;
  counts: DeliveryCounts;
  /** This child's CPU since `measure`. */
  cpuMs: number;
}

export type ParentMsg =
  | ({ type: 'init'; users: SyncerSpec[] } & SyncerConfig)
  | { type: 'measure' }
  /** Updates the server refused: senders[i]'s ordinal ks[i] was never owed to anyone. */
  | { type: 'refused'; senders: number[]; ks: number[] }
  | { type: 'stop' };

export type ChildMsg =
  | { type: 'ready'; failed: number; firstError?: string }
  /** First deliveries since the last batch: seqs[i] seen at ts[i] (ms, performance.timeOrigin based). */
  | { type: 'batch'; seqs: Float64Array; ts: Float64Array; stats: ChildStats }
  | { type: 'done'; stats: ChildStats };
