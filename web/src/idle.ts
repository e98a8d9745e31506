/**
 * The client idle timeout of seed 001: no mouse, keyboard, touch or focus for a
 * configurable time makes this device idle; any of them makes it active again. A hidden
 * tab counts as idle at once. Time and timers are injected so tests drive them.
 */

export const DEFAULT_IDLE_MS = 3 * 60_000;
export const MIN_IDLE_MINUTES = 1;
export const MAX_IDLE_MINUTES = 5;
/** Floor for the `?idle=<ms>` override, which exists so tests and demos need not wait minutes. */
export const MIN_OVERRIDE_MS = 500;
export const IDLE_SETTING_KEY = 'presenced.idleMinutes';

export interface IdleSetting {
  ms: number;
  /** `url`: the `?idle=<ms>` override (not clamped to 1-5 min); `setting`: the user's choice; `default`. */
  source: 'url' | 'setting' | 'default';
}

export function clampMinutes(n: number): number {
  return Math.min(MAX_IDLE_MINUTES, Math.max(MIN_IDLE_MINUTES, Math.round(n)));
}

/** `?idle=<ms>` wins, then the stored minutes (clamped to 1-5), then 3 minutes. */
export function resolveIdleTimeout(search: string, storedMinutes: string | null): IdleSetting {
  const raw = new URLSearchParams(search).get('idle');
  if (raw !== null && /^[0-9]{1,9}$/.test(raw)) return { ms: Math.max(MIN_OVERRIDE_MS, Number(raw)), source: 'url' };
  if (storedMinutes !== null && /^[0-9]{1,3}(\.[0-9]+)?$/.test(storedMinutes)) {
    return { ms: clampMinutes(Number(storedMinutes)) * 60_000, source: 'setting' };
  }
  return { ms: DEFAULT_IDLE_MS, source: 'default' };
}

export interface IdleTrackerOptions {
  timeoutMs: number;
  now: () => number;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  /** Called on every transition, never twice with the same value. */
  onChange: (idle: boolean) => void;
}

export class IdleTracker {
  private lastActivity = 0;
  private idleNow = false;
  private hiddenNow = false;
  private timer: unknown = null;
  private running = false;

  constructor(private readonly o: IdleTrackerOptions) {}

  get idle(): boolean {
    return this.idleNow;
  }

  get timeoutMs(): number {
    return this.o.timeoutMs;
  }

  start(hidden = false): void {
    this.running = true;
    this.lastActivity = this.o.now();
    this.hiddenNow = hidden;
    if (hidden) this.set(true);
    else this.schedule(this.o.timeoutMs);
  }

  stop(): void {
    this.running = false;
    this.cancel();
  }

  /** Mouse, keyboard, touch or focus. Cheap: it only records the time unless the device was idle. */
  activity(): void {
    if (!this.running || this.hiddenNow) return;
    this.lastActivity = this.o.now();
    if (this.idleNow) {
      this.set(false);
      this.schedule(this.o.timeoutMs);
    } else if (this.timer === null) {
      this.schedule(this.o.timeoutMs);
    }
  }

  /** visibilitychange: hidden is idle at once; shown again is activity. */
  setHidden(hidden: boolean): void {
    if (!this.running || hidden === this.hiddenNow) return;
    this.hiddenNow = hidden;
    if (hidden) {
      this.cancel();
      this.set(true);
    } else {
      this.activity();
    }
  }

  setTimeoutMs(ms: number): void {
    this.o.timeoutMs = ms;
    if (this.running && !this.idleNow) {
      this.cancel();
      this.check();
    }
  }

  private set(idle: boolean): void {
    if (idle === this.idleNow) return;
    this.idleNow = idle;
    this.o.onChange(idle);
  }

  private cancel(): void {
    if (this.timer !== null) this.o.clearTimer(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.cancel();
    this.timer = this.o.setTimer(() => {
      this.timer = null;
      this.check();
    }, ms);
  }

  // The timer is armed once per quiet period, not per mouse move: on firing it checks
  // how long it has really been and re-arms for the remainder.
  private check(): void {
    if (!this.running || this.idleNow) return;
    const quiet = this.o.now() - this.lastActivity;
    if (quiet >= this.o.timeoutMs) this.set(true);
    else this.schedule(this.o.timeoutMs - quiet);
  }
}
