/**
 * Bounds the /sync building done in one turn of the event loop.
 *
 * With SQLite every read is synchronous, so a build runs start to finish in microtasks
 * inside whichever I/O callback started it. Under load one poll phase reads thousands of
 * re-polls and would build every answer before returning to the loop: for seconds no
 * connection is accepted and no request is read, clients time out, and a device whose
 * next /sync cannot be read within sync_online_timeout is dropped and flaps offline and
 * back to its whole audience. Past the slice, builds wait for the next turn, after the
 * loop has polled I/O again; the requests themselves are still read at once, so a device
 * counts as syncing while its answer waits here.
 */
export interface BuildGateOptions {
  /** Time a turn may run from its first build before further builds wait for the next turn. */
  sliceMs?: number;
  /**
   * Builds in progress at once. A build started only runs up to its first await, so the
   * slice is checked as builds finish: with synchronous storage each one finishes within
   * the turn, and a few at once bound the turn's overshoot. A network database needs more
   * to keep its connections busy while each build waits on a query.
   */
  maxActive?: number;
  now?: () => number;
  /** Runs fn in the next turn of the event loop, after its I/O (setImmediate). */
  nextTurn?: (fn: () => void) => void;
}

export class BuildGate {
  private readonly sliceMs: number;
  private readonly maxActive: number;
  private readonly now: () => number;
  private readonly nextTurn: (fn: () => void) => void;
  private readonly first = new Fifo<() => void>();
  private readonly rest = new Fifo<() => void>();
  /** The last build released came from `first`: the next, if both wait, comes from `rest`. */
  private lastFromFirst = false;
  private active = 0;
  /** When the current turn's first build started; meaningful while turnScheduled. */
  private turnStart = 0;
  /** A turn's budget is in use: its refill is queued for the next turn. */
  private turnScheduled = false;

  constructor(opts: BuildGateOptions = {}) {
    this.sliceMs = opts.sliceMs ?? 10;
    this.maxActive = opts.maxActive ?? 4;
    this.now = opts.now ?? (() => performance.now());
    this.nextTurn = opts.nextTurn ?? ((fn) => void setImmediate(fn));
  }

  /**
   * Runs build now if this turn has room, otherwise once a later turn has. `ahead` builds
   * have a queue of their own, served in turn with the other: one waits behind at most one
   * other build per `ahead` build before it, not behind the whole queue, and a stream of
   * them cannot stall the rest.
   */
  run<T>(build: () => Promise<T>, ahead = false): Promise<T> {
    if (this.waiting() === 0 && this.hasRoom()) return this.start(build);
    return new Promise<T>((resolve, reject) => {
      (ahead ? this.first : this.rest).push(() => void this.start(build).then(resolve, reject));
      this.scheduleTurn();
    });
  }

  /** Builds queued for a later turn. */
  waiting(): number {
    return this.first.size() + this.rest.size();
  }

  /**
   * Wall time since the turn's first build, not the builds' own durations: a build's
   * synchronous part runs before it could report its duration, and serializing answers
   * lengthens the turn just as much as building them.
   */
  private hasRoom(): boolean {
    return this.active < this.maxActive && (!this.turnScheduled || this.now() - this.turnStart < this.sliceMs);
  }

  private async start<T>(build: () => Promise<T>): Promise<T> {
    this.active++;
    if (!this.turnScheduled) {
      this.turnStart = this.now();
      this.scheduleTurn();
    }
    try {
      return await build();
    } finally {
      this.active--;
      this.release();
    }
  }

  private release(): void {
    while (this.waiting() > 0 && this.hasRoom()) {
      const fromFirst = this.first.size() > 0 && (this.rest.size() === 0 || !this.lastFromFirst);
      this.lastFromFirst = fromFirst;
      (fromFirst ? this.first : this.rest).shift()!();
    }
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    this.nextTurn(this.newTurn);
  }

  private readonly newTurn = (): void => {
    this.turnScheduled = false;
    // The first build release() starts opens the new turn's budget, and queues its refill;
    // if none can start (all places taken), a finishing build calls release() itself.
    this.release();
  };
}

/** An array queue that shifts in constant time: the queue can hold thousands of builds. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }
}
