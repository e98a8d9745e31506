import type { Clock, TimerHandle } from '../common/clock.js';

/**
 * Wakes exactly the long-polls an event concerns. It hands out positions, never data:
 * a woken /sync re-reads storage up to the positions it is given, so a wake-up that
 * races a write can only cause one extra read, never a lost event.
 */
export interface Waiter {
  /** Resolves when woken or after timeoutMs; true if woken. */
  wait(timeoutMs: number): Promise<boolean>;
  cancel(): void;
}

interface WaiterImpl {
  woken: boolean;
  resolve?: (woken: boolean) => void;
  timer?: TimerHandle;
}

export class Notifier {
  private readonly waiters = new Map<string, Set<WaiterImpl>>();
  private pending = new Set<string>();
  private flushScheduled = false;

  constructor(private readonly clock: Clock) {}

  wakeAll(users: Iterable<string>): void {
    for (const u of users) this.wake(u);
  }

  /**
   * Wakes the user's waiters once this turn of the event loop has read its requests:
   * every change made meanwhile (a busy server reads many writes a turn) reaches each
   * woken long-poll in one answer instead of one answer per change.
   */
  wake(userId: string): void {
    // Nobody waiting: whoever registers later reads storage after this write anyway.
    if (!this.waiters.has(userId)) return;
    this.pending.add(userId);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const users = this.pending;
    this.pending = new Set();
    for (const u of users) this.wakeNow(u);
  };

  private wakeNow(userId: string): void {
    const set = this.waiters.get(userId);
    if (!set) return;
    this.waiters.delete(userId);
    for (const w of set) {
      w.woken = true;
      w.timer?.cancel();
      w.resolve?.(true);
    }
  }

  /** Call before computing a response, so a write during the computation is not missed. */
  register(userId: string): Waiter {
    const w: WaiterImpl = { woken: false };
    let set = this.waiters.get(userId);
    if (!set) this.waiters.set(userId, (set = new Set()));
    set.add(w);
    const remove = () => {
      const s = this.waiters.get(userId);
      s?.delete(w);
      if (s?.size === 0) this.waiters.delete(userId);
    };
    return {
      wait: (timeoutMs) => {
        if (w.woken) return Promise.resolve(true);
        return new Promise<boolean>((resolve) => {
          w.resolve = (woken) => {
            remove();
            resolve(woken);
          };
          w.timer = this.clock.setTimeout(() => w.resolve?.(false), Math.max(0, timeoutMs));
        });
      },
      cancel: () => {
        w.timer?.cancel();
        remove();
        w.resolve?.(false);
      },
    };
  }

  /** Wakes every waiting long-poll: each re-reads storage and answers what it finds, if anything. */
  wakeEveryone(): void {
    this.wakeAll([...this.waiters.keys()]);
  }

  waitingUsers(): number {
    return this.waiters.size;
  }
}
