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
  private readonly queue: (() => void)[] = [];
  private head = 0;
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

  /** Runs build now if this turn has room, otherwise once a later turn has. */
  run<T>(build: () => Promise<T>): Promise<T> {
    if (this.waiting() === 0 && this.hasRoom()) return this.start(build);
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => void this.start(build).then(resolve, reject));
      this.scheduleTurn();
    });
  }

  /** Builds queued for a later turn. */
  waiting(): number {
    return this.queue.length - this.head;
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
      const next = this.queue[this.head++];
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      next();
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
