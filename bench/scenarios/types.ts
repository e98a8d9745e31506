/** What every scenario shares: a target, a one-time setup, and runs that can be repeated. */
import type { BenchOptions } from '../lib/args.js';
import type { RunResult } from '../lib/measure.js';

export interface Target {
  /** Resolved origin (localhost already turned into an address). */
  origin: string;
  /** As the user gave it, for reports. */
  url: string;
  ipv4: boolean;
  pid?: number;
  /** A server that lives only for this run (the floor): accounts are neither reused nor stored. */
  ephemeral?: boolean;
}

/** Set up once (accounts, rooms), then run any number of times: compare alternates runs. */
export interface Prepared {
  run(): Promise<RunResult>;
  close(): Promise<void>;
}

export type Log = (msg: string) => void;

export type Prepare = (t: Target, o: BenchOptions, log: Log) => Promise<Prepared>;

/** Long-polls may come from other 127.x addresses only when the target is IPv4 loopback on Linux. */
export function canSpreadSources(t: Target): boolean {
  return t.ipv4 && process.platform === 'linux' && new URL(t.origin).hostname.startsWith('127.');
}
