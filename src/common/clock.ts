/**
 * Time is injected everywhere so that idle and offline timeouts are tested by advancing
 * a manual clock instead of waiting.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Runs fn once after ms; the returned handle cancels it. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    // Timers must never keep a stopping process alive.
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to; timers fire in due order during advance(). */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: PendingTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => { timer.cancelled = true; } };
  }

  /** Moves time forward by ms, firing every timer that falls due, each at its own instant. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.current = Math.max(this.current, due.at);
      due.cancelled = true;
      due.fn();
    }
    this.current = target;
  }

  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

interface OffsetTimer {
  at: number;
  fn: () => void;
  real: NodeJS.Timeout | null;
}

/**
 * The system clock plus an offset that only grows: lets a test move time forward in a
 * server it runs as a separate process (several instances, a SIGKILL) instead of waiting.
 * Timers are due by this clock's time, so advance() fires every one that falls due.
 */
export class AdjustableClock implements Clock {
  private offset = 0;
  private readonly timers = new Set<OffsetTimer>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: OffsetTimer = { at: this.now() + Math.max(0, ms), fn, real: null };
    this.timers.add(t);
    this.arm(t);
    return { cancel: () => this.drop(t) };
  }

  advance(ms: number): void {
    if (!(ms > 0)) return;
    this.offset += ms;
    const due = [...this.timers].filter((t) => t.at <= this.now()).sort((a, b) => a.at - b.at);
    for (const t of due) this.fire(t);
  }

  private arm(t: OffsetTimer): void {
    const real = setTimeout(() => {
      if (this.now() >= t.at) this.fire(t);
      else this.arm(t);
    }, Math.max(0, t.at - this.now()));
    real.unref();
    t.real = real;
  }

  private fire(t: OffsetTimer): void {
    if (!this.timers.has(t)) return;
    this.drop(t);
    t.fn();
  }

  private drop(t: OffsetTimer): void {
    if (t.real) clearTimeout(t.real);
    this.timers.delete(t);
  }
}
