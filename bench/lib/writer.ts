/**
 * When and in what order the bench sends presence updates. A user's updates go one at a
 * time, as a client sends its own presence: two PUTs in flight may be applied in either
 * order, and the state observers end up with (and are owed) would then not be the last one
 * sent, which the bench would count as missing although the server did nothing wrong.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { nowMs } from './stats.js';

/** Time for the writer loop; tests drive it by hand. */
export interface WriterClock {
  now(): number;
  sleep(ms: number): Promise<unknown>;
}

export const realClock: WriterClock = { now: nowMs, sleep: (ms) => sleep(ms) };

export interface WriterPlan {
  /** PUTs per second; 0 or less is back to back (the next starts when the previous is answered). */
  rate: number;
  durationMs: number;
  /** Most PUTs to start. */
  count: number;
}

/**
 * Starts `put` per the plan until the time or the count is up, never while the previous
 * one is unanswered: a server slower than the rate makes the writer fall behind it.
 * Resolves with how many were started; the last may still be in flight.
 */
export async function runWriter(plan: WriterPlan, put: () => Promise<void>, clock: WriterClock = realClock): Promise<number> {
  const start = clock.now();
  const end = start + plan.durationMs;
  // Resolves false so that a race with a PUT says which came first. A timer may fire a
  // little before now() reaches `end`: the race, not the clock, ends the loop then.
  const deadline = clock.sleep(Math.max(0, end - start)).then(() => false);
  let sent = 0;
  let inFlight: Promise<boolean> | null = null;
  const send = (): Promise<boolean> => {
    sent++;
    const p: Promise<boolean> = put().then(() => {
      if (inFlight === p) inFlight = null;
      return true;
    });
    inFlight = p;
    return p;
  };
  if (plan.rate <= 0) {
    while (sent < plan.count && clock.now() < end) {
      if (!(await Promise.race([send(), deadline]))) break;
    }
    return sent;
  }
  const interval = 1000 / plan.rate;
  for (let i = 0; i < plan.count; i++) {
    const wait = start + i * interval - clock.now();
    if (wait > 1) await clock.sleep(wait);
    if (clock.now() >= end) break;
    if (inFlight && !(await Promise.race([inFlight, deadline]))) break;
    void send();
  }
  return sent;
}

/** Runs each key's tasks one at a time, in the order given; different keys run side by side. */
export class PerKeyQueue<K> {
  private readonly tails = new Map<K, Promise<void>>();

  run(key: K, task: () => Promise<void>): Promise<void> {
    const prev = this.tails.get(key);
    const p = prev ? prev.then(task, task) : task();
    this.tails.set(key, p);
    const clear = () => {
      if (this.tails.get(key) === p) this.tails.delete(key);
    };
    p.then(clear, clear);
    return p;
  }

  /** Keys with a task queued or running. */
  get busy(): number {
    return this.tails.size;
  }
}
