import type { Clock, TimerHandle } from '../common/clock.js';
import { addToListMap, removeFromListMap } from '../common/listMap.js';

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

/**
 * One registration. A class, not closures: every /sync registers one or two, so each
 * costs one object rather than five.
 */
class ParkedWaiter implements Waiter {
  woken = false;
  /** In its user's list: neither woken (the notifier empties the list) nor removed since registering. */
  private listed = true;
  private resolve: ((woken: boolean) => void) | null = null;
  private timer: TimerHandle | null = null;

  constructor(private readonly owner: Notifier, readonly userId: string) {}

  wait(timeoutMs: number): Promise<boolean> {
    if (this.woken) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      this.resolve = resolve;
      this.timer = this.owner.clock.setTimeout(() => this.settle(false), Math.max(0, timeoutMs));
    });
  }

  cancel(): void {
    if (this.resolve) this.settle(false);
    else this.unlist();
  }

  /** Called by the notifier, which has already dropped it from the user's list. */
  wake(): void {
    this.woken = true;
    this.listed = false;
    this.settle(true);
  }

  private settle(woken: boolean): void {
    this.timer?.cancel();
    this.timer = null;
    const r = this.resolve;
    if (!r) return;
    this.resolve = null;
    if (!woken) this.unlist();
    r(woken);
  }

  /** The list is searched once at most: a long-poll that timed out is cancelled after, too. */
  private unlist(): void {
    if (!this.listed) return;
    this.listed = false;
    this.owner.remove(this);
  }
}

export class Notifier {
  /** Each user's parked waiters; an array, since almost every user has one. Emptied lists stay (listMap.ts says why). */
  private readonly waiters = new Map<string, ParkedWaiter[]>();
  /** Users whose list is not empty. */
  private parked = 0;
  private readonly pending = new Set<string>();
  private flushScheduled = false;

  /**
   * @param wakeBatch users woken per turn of the event loop. One presence change in a large
   *   room wakes thousands of long-polls; answering them all in one turn would keep the loop
   *   from accepting connections and reading requests (a PUT, the re-polls) for as long.
   */
  constructor(
    readonly clock: Clock,
    private readonly wakeBatch = 256,
  ) {}

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
    if (!this.waiters.get(userId)?.length) return;
    this.pending.add(userId);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    let budget = this.wakeBatch;
    // Deleting the entry being visited is safe in a Set; users added meanwhile join the queue.
    for (const u of this.pending) {
      if (budget === 0) break;
      this.pending.delete(u);
      if (this.wakeNow(u)) budget--;
    }
    if (this.pending.size > 0) {
      // An immediate queued from an immediate runs after the next poll phase: the I/O waiting now goes first.
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  };

  /** True if anyone was waiting. */
  private wakeNow(userId: string): boolean {
    const list = this.waiters.get(userId);
    if (!list?.length) return false;
    // wake() only settles a promise: nothing runs that could add to or remove from the list meanwhile.
    for (const w of list) w.wake();
    list.length = 0;
    this.parked--;
    return true;
  }

  /** Call before computing a response, so a write during the computation is not missed. */
  register(userId: string): Waiter {
    const w = new ParkedWaiter(this, userId);
    if (addToListMap(this.waiters, userId, w)) this.parked++;
    return w;
  }

  /** Drops a waiter that timed out or was cancelled before it was woken. */
  remove(w: ParkedWaiter): void {
    if (removeFromListMap(this.waiters, w.userId, w)) this.parked--;
  }

  /** Wakes every waiting long-poll: each re-reads storage and answers what it finds, if anything. */
  wakeEveryone(): void {
    this.wakeAll([...this.waiters.keys()]);
  }

  waitingUsers(): number {
    return this.parked;
  }
}
