/**
 * Which users' presence flaps: more than `maxTransitions` published state changes within
 * one window of `windowMs`. A user's window opens at their first change after the previous
 * window closed (fixed, not sliding: one small record per user, no list of timestamps).
 */
export interface FlapRule {
  maxTransitions: number;
  windowMs: number;
}

/** Ordinary use (idle after 5 min, back, offline at night) stays well under this. */
export const DEFAULT_FLAP_RULE: Readonly<FlapRule> = Object.freeze({ maxTransitions: 6, windowMs: 10 * 60_000 });

interface Window {
  start: number;
  count: number;
}

export class FlapTracker {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly rule: FlapRule) {}

  transition(userId: string, now: number): void {
    const w = this.windows.get(userId);
    if (!w) this.windows.set(userId, { start: now, count: 1 });
    else if (now - w.start >= this.rule.windowMs) {
      w.start = now;
      w.count = 1;
    } else w.count++;
  }

  /** Users flapping now; forgets closed windows (called at scrape time, not on the hot path). */
  flapping(now: number): number {
    let n = 0;
    for (const [userId, w] of this.windows) {
      if (now - w.start >= this.rule.windowMs) this.windows.delete(userId);
      else if (w.count > this.rule.maxTransitions) n++;
    }
    return n;
  }
}
