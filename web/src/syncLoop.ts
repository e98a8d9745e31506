/**
 * The /sync long-poll. One request at a time; `restart()` drops the one in flight so the
 * next carries a fresh `set_presence`. Errors back off (1 s doubling to 30 s); an
 * unknown token ends the loop and logs the user out. Closing the tab simply ends the
 * request, and the server's timer takes the device offline (seed 004).
 */
import { ApiError, type SyncBody, type SyncPresence } from './api.js';

export interface SyncApi {
  sync(p: { since: string | null; timeoutMs: number; setPresence: SyncPresence; filter: string }, signal?: AbortSignal): Promise<SyncBody>;
}

export interface SyncLoopOptions {
  setPresence: () => SyncPresence;
  onSync: (body: SyncBody) => void;
  /** Connection state for the UI: true after a good response, false after a failure. */
  onConnected: (ok: boolean) => void;
  onLoggedOut: () => void;
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  timeoutMs?: number;
}

/** Only what the client shows: a bounded initial timeline per room. */
export const SYNC_FILTER = JSON.stringify({ room: { timeline: { limit: 30 } } });

function abortableWait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

export class SyncLoop {
  since: string | null = null;
  private running = false;
  private current: AbortController | null = null;
  private stopper = new AbortController();

  constructor(
    private readonly api: SyncApi,
    private readonly o: SyncLoopOptions,
  ) {}

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.stopper = new AbortController();
    return this.run();
  }

  stop(): void {
    this.running = false;
    this.stopper.abort();
    this.current?.abort();
  }

  /** Ends the request in flight; the loop starts the next at once. */
  restart(): void {
    this.current?.abort();
  }

  private async run(): Promise<void> {
    const wait = this.o.wait ?? abortableWait;
    let backoff = 1000;
    while (this.running) {
      const ctl = new AbortController();
      this.current = ctl;
      let body: SyncBody;
      try {
        body = await this.api.sync(
          { since: this.since, timeoutMs: this.since === null ? 0 : (this.o.timeoutMs ?? 30_000), setPresence: this.o.setPresence(), filter: SYNC_FILTER },
          ctl.signal,
        );
      } catch (err) {
        if (!this.running) return;
        if (ctl.signal.aborted) continue;
        if (err instanceof ApiError && err.status === 401) {
          this.running = false;
          this.o.onLoggedOut();
          return;
        }
        this.o.onConnected(false);
        await wait(backoff, this.stopper.signal);
        backoff = Math.min(backoff * 2, 30_000);
        continue;
      } finally {
        if (this.current === ctl) this.current = null;
      }
      if (!this.running) return;
      this.since = body.next_batch;
      backoff = 1000;
      this.o.onConnected(true);
      // Outside the try above: a rendering bug must not be mistaken for a network failure.
      try {
        this.o.onSync(body);
      } catch (err) {
        console.error('applying /sync failed', err);
      }
    }
  }
}
