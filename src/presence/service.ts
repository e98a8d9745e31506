import type { Clock } from '../common/clock.js';
import type { PresenceConfig } from '../config/index.js';
import { ChangeLog, type NewEntry } from './changeLog.js';
import { Inboxes } from './inbox.js';
import { Visibility } from './visibility.js';
import { step } from './machine.js';
import { isUncountedSync } from './rules.js';
import type { PresenceStore } from './store.js';
import type { Presence } from './api.js';
import { afterRestart, fromStored, toStored } from './stored.js';
import { emptyPresence, type PresenceInput, type PresenceState, type UserPresence } from './types.js';

/** Who shares a room with whom (the in-memory membership index). */
export interface RoomGraph {
  coMembers(userId: string): Set<string>;
  roomsOf(userId: string): ReadonlySet<string>;
  members(roomId: string): ReadonlySet<string>;
  sharesRoom(a: string, b: string): boolean;
}

/** Wakes the long-polls of the given users. */
export interface Waker {
  wakeAll(users: Iterable<string>): void;
}

/**
 * Told what the engine does, for metrics. Called on the presence hot path: implementations
 * only count, never do I/O.
 */
export interface PresenceObserver {
  /** The user's published (own-view) state changed. */
  transition(userId: string, from: PresenceState, to: PresenceState): void;
  /** An update about the user was appended at stream position pos and its audience woken. */
  published(userId: string, pos: number): void;
  timerFired(): void;
}

export interface PresenceServiceOptions {
  /** How long a non-durable change (activity, sync bookkeeping) may wait to be written. */
  flushDelayMs?: number;
  onError?: (err: unknown) => void;
  observer?: PresenceObserver;
}

const MARK_STEP = 10_000;

/**
 * The presence engine's I/O shell: holds every user's state in memory, feeds inputs to
 * the pure machine, and acts on its effects (stream positions, wake-ups, writes, timers).
 * A timer that fires only sends a `tick`: the machine re-derives everything from stored
 * timestamps, so stale timers are harmless and never cancelled.
 */
export class PresenceService implements Presence {
  private readonly users = new Map<string, UserPresence>();
  private readonly wakeAt = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  private log = new ChangeLog(0);
  private mark = 0;
  private markWrite: Promise<void> = Promise.resolve();
  readonly visibility: Visibility;
  readonly inboxes = new Inboxes();

  constructor(
    readonly cfg: PresenceConfig,
    private readonly store: PresenceStore,
    private readonly clock: Clock,
    private readonly graph: RoomGraph,
    private readonly waker: Waker,
    private readonly opts: PresenceServiceOptions = {},
  ) {
    this.visibility = new Visibility(graph);
  }

  /** Loads stored presence; devices that were connected count as disconnected now. */
  async load(): Promise<void> {
    // Presence off: nothing is tracked, so stored state from an earlier run stays unread.
    if (!this.cfg.enabled) return;
    const now = this.clock.now();
    this.mark = await this.store.presenceMark();
    this.log = new ChangeLog(this.mark);
    await this.raiseMark();
    for (const row of await this.store.loadPresence()) {
      let state: UserPresence;
      try {
        state = fromStored(row.state);
      } catch (e) {
        this.opts.onError?.(e);
        continue;
      }
      this.users.set(row.userId, afterRestart(state, now));
      this.apply(row.userId, { kind: 'tick' });
    }
  }

  get enabled(): boolean {
    return this.cfg.enabled;
  }

  position(): number {
    return this.log.position();
  }

  changeLog(): ChangeLog {
    return this.log;
  }

  stateOf(userId: string): UserPresence | undefined {
    return this.users.get(userId);
  }

  /** Every user's state held in memory (read by metrics at scrape time). */
  states(): IterableIterator<UserPresence> {
    return this.users.values();
  }




  /** Feeds one input; non-durable changes are written within flushDelayMs. */
  apply(userId: string, input: PresenceInput): void {
    if (!this.cfg.enabled || isUncountedSync(input)) return;
    const persist = this.run(userId, input);
    if (persist) this.markDirty(userId);
  }

  /** Feeds one input and resolves once its durable effect is written (PUT answers after this). */
  async applyDurable(userId: string, input: PresenceInput): Promise<void> {
    if (!this.cfg.enabled) return;
    if (this.run(userId, input)) {
      this.dirty.delete(userId);
      await this.store.savePresence([{ userId, state: toStored(this.users.get(userId)!) }]);
    }
  }

  private run(userId: string, input: PresenceInput): boolean {
    const now = this.clock.now();
    const before = this.users.get(userId) ?? emptyPresence();
    const { state, effects } = step(before, input, now, this.cfg);
    this.users.set(userId, state);
    const from = before.published.self.presence;
    if (this.opts.observer && from !== state.published.self.presence) this.opts.observer.transition(userId, from, state.published.self.presence);
    if (effects.changed) this.publish({ userId, scope: 'all' }, this.visibility.visibleTo(userId));
    else if (effects.selfChanged) this.publish({ userId, scope: 'self' }, [userId]);
    if (effects.nextWakeAt !== null) this.schedule(userId, effects.nextWakeAt);
    return effects.persist;
  }

  /** A profile change is announced as a presence update carrying the new profile (seed 000). */
  profileChanged(userId: string): void {
    if (!this.cfg.enabled) return;
    this.publish({ userId, scope: 'all' }, this.visibility.visibleTo(userId));
  }

  /** A join introduces the joiner and the room's members to each other's presence. */
  joined(roomId: string, userId: string): void {
    if (!this.cfg.enabled) return;
    this.publish({ userId, scope: 'room', roomId }, this.graph.members(roomId));
  }

  private publish(entry: NewEntry, audience: Iterable<string>): void {
    const pos = this.log.append(entry);
    if (entry.scope === 'all') this.inboxes.record(pos, entry.userId, audience);
    if (pos >= this.mark - MARK_STEP / 2) void this.raiseMark();
    this.waker.wakeAll(audience);
    this.opts.observer?.published(entry.userId, pos);
  }

  /** Stream positions survive restarts: the stored mark is always ahead of any position handed out. */
  private raiseMark(): Promise<void> {
    const target = this.log.position() + MARK_STEP;
    this.markWrite = this.markWrite.then(async () => {
      if (target <= this.mark) return;
      await this.store.setPresenceMark(target);
      this.mark = target;
    }).catch((e: unknown) => this.opts.onError?.(e));
    return this.markWrite;
  }

  private schedule(userId: string, at: number): void {
    const existing = this.wakeAt.get(userId);
    const now = this.clock.now();
    if (existing !== undefined && existing <= at && existing > now) return;
    this.wakeAt.set(userId, at);
    this.clock.setTimeout(() => {
      if (this.wakeAt.get(userId) === at) this.wakeAt.delete(userId);
      this.opts.observer?.timerFired();
      this.apply(userId, { kind: 'tick' });
    }, Math.max(0, at - now));
  }

  private markDirty(userId: string): void {
    this.dirty.add(userId);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.clock.setTimeout(() => {
      this.flushScheduled = false;
      this.flush().catch((e: unknown) => this.opts.onError?.(e));
    }, this.opts.flushDelayMs ?? 1000);
  }

  /** Writes every pending non-durable change in one transaction. */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const rows = [...this.dirty].map((userId) => ({ userId, state: toStored(this.users.get(userId)!) }));
    this.dirty.clear();
    await this.store.savePresence(rows);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.markWrite;
  }
}
