import type { Bus, BusMessage } from '../bus/index.js';
import type { Clock, TimerHandle } from '../common/clock.js';
import { KeyedMutex } from '../common/mutex.js';
import type { PresenceConfig } from '../config/index.js';
import type { Presence } from './api.js';
import { ChangeLog } from './changeLog.js';
import { Visibility } from './visibility.js';
import type { ClusterPresenceStore, MutateOptions, SyncRecord } from './clusterStore.js';
import { step } from './machine.js';
import { isUncountedSync } from './rules.js';
import type { PresenceObserver, RoomGraph, Waker } from './service.js';
import { fromStored, toStored } from './stored.js';
import { emptyPresence, type PresenceInput, type UserPresence } from './types.js';

/** How long a device's last sync on this instance stays open after it ends, for the next one to resume it. */
export const SYNC_END_GRACE_MS = 1000;

interface SyncHold {
  userId: string;
  /** Syncs open on this instance. */
  open: number;
  /** The pending write of the end, while open is 0 and the grace runs. */
  endTimer: TimerHandle | null;
  end: Extract<PresenceInput, { kind: 'syncEnded' }>;
}

export interface ClusterPresenceOptions {
  /** How often due timers, dead instances and missed messages are looked for. */
  pollMs?: number;
  /** An instance not heard from for this long is dead; its syncs end. */
  deadAfterMs?: number;
  onError?: (err: unknown) => void;
  /** Told of the transitions, updates and timer firings this instance carries out. */
  observer?: PresenceObserver;
}

/**
 * Presence shared by several instances. PostgreSQL holds the one state per user, changed
 * under its row lock (so the device union spans instances); positions come from one
 * sequence; timers live in a table and are claimed under the same lock, so each fires
 * exactly once. Redis only carries "this user changed at position p" between instances,
 * and a lost message is recovered by reading what changed after the readable position.
 */
export class ClusterPresenceService implements Presence {
  private readonly replica = new Map<string, UserPresence>();
  private readonly lock = new KeyedMutex();
  private log = new ChangeLog(0);
  private stopped = false;
  private polling: Promise<void> = Promise.resolve();
  private readonly holds = new Map<string, SyncHold>();
  /** When the log was first seen waiting for a missing position; null while it is not. */
  private stalledSince: number | null = null;
  private lastHeartbeat = 0;
  private lastHighestCheck = 0;
  private pollFailing = false;
  private lastPollErrorLog = 0;
  private previousHighest = 0;
  readonly visibility: Visibility;

  constructor(
    readonly cfg: PresenceConfig,
    private readonly store: ClusterPresenceStore,
    private readonly clock: Clock,
    private readonly graph: RoomGraph,
    private readonly waker: Waker,
    private readonly bus: Bus,
    private readonly opts: ClusterPresenceOptions = {},
  ) {
    this.visibility = new Visibility(graph);
  }

  get enabled(): boolean {
    return this.cfg.enabled;
  }

  private get instanceId(): string {
    return this.bus.instanceId;
  }

  async load(): Promise<void> {
    if (!this.cfg.enabled) return;
    this.log = new ChangeLog(await this.store.highestPosition());
    for (const row of await this.store.loadAll()) this.adopt(row.userId, row.state);
    this.bus.subscribe((m) => this.onMessage(m));
    this.bus.onReconnect(() => void this.catchUp().catch((e: unknown) => this.opts.onError?.(e)));
    await this.store.heartbeat(this.instanceId, this.clock.now());
    this.schedulePoll();
  }

  private adopt(userId: string, stored: unknown): UserPresence | undefined {
    if (stored === null || stored === undefined) return undefined;
    try {
      const s = fromStored(stored);
      this.replica.set(userId, s);
      return s;
    } catch (e) {
      this.opts.onError?.(e);
      return undefined;
    }
  }

  apply(userId: string, input: PresenceInput): void {
    if (input.kind === 'syncStarted' || input.kind === 'syncEnded') {
      this.syncEdge(userId, input);
      return;
    }
    this.applyDurable(userId, input).catch((e: unknown) => this.opts.onError?.(e));
  }

  /**
   * A client long-polls back to back: each /sync ends and the next starts milliseconds
   * later. Writing both edges to PostgreSQL would cost two transactions per request for no
   * visible change, so this instance keeps its open syncs per (user, device, set_presence)
   * and tells PostgreSQL only when the first opens and when the last has stayed closed for
   * SYNC_END_GRACE_MS. A start on a device already connected is written only if it changes
   * something besides that bookkeeping (a set_presence re-marking the device, say).
   */
  private syncEdge(userId: string, input: Extract<PresenceInput, { kind: 'syncStarted' | 'syncEnded' }>): void {
    if (!this.cfg.enabled || isUncountedSync(input)) return;
    const key = `${userId}\u0000${input.deviceId}\u0000${input.setPresence}`;
    let h = this.holds.get(key);
    if (input.kind === 'syncStarted') {
      if (!h) this.holds.set(key, (h = { open: 0, endTimer: null, userId, end: { kind: 'syncEnded', deviceId: input.deviceId, setPresence: input.setPresence } }));
      h.open++;
      if (h.open === 1 && h.endTimer === null) {
        this.applyDurable(userId, input).catch((e: unknown) => this.opts.onError?.(e));
        return;
      }
      if (h.endTimer !== null) {
        h.endTimer.cancel();
        h.endTimer = null;
      }
      if (this.wouldChange(userId, input)) {
        // Start and end in one change: the device's count is unchanged (this instance's hold keeps it connected).
        this.lock.run(userId, () => this.mutate(userId, [input, h!.end], {})).catch((e: unknown) => this.opts.onError?.(e));
      }
      return;
    }
    if (!h || h.open === 0) return;
    h.open--;
    if (h.open > 0) return;
    const hold = h;
    hold.endTimer = this.clock.setTimeout(() => void this.closeHold(key, hold), SYNC_END_GRACE_MS);
  }

  private closeHold(key: string, hold: SyncHold): Promise<void> {
    hold.endTimer?.cancel();
    hold.endTimer = null;
    if (hold.open > 0) return Promise.resolve();
    this.holds.delete(key);
    return this.applyDurable(hold.userId, hold.end).catch((e: unknown) => this.opts.onError?.(e));
  }

  /** Whether an input would change more than sync bookkeeping, judged on this instance's replica. */
  private wouldChange(userId: string, input: PresenceInput): boolean {
    const { effects } = step(this.replica.get(userId) ?? emptyPresence(), input, this.clock.now(), this.cfg);
    return effects.changed || effects.selfChanged || effects.persist;
  }

  async applyDurable(userId: string, input: PresenceInput): Promise<void> {
    if (!this.cfg.enabled) return;
    let sync: SyncRecord | undefined;
    if (input.kind === 'syncStarted' || input.kind === 'syncEnded') {
      sync = { instanceId: this.instanceId, deviceId: input.deviceId, setPresence: input.setPresence, delta: input.kind === 'syncStarted' ? 1 : -1 };
    }
    // One instance's inputs for a user keep their order (a sync's end never overtakes its start).
    await this.lock.run(userId, () => this.mutate(userId, [input], {}, sync));
  }

  private async mutate(userId: string, inputs: PresenceInput[], opts: MutateOptions, sync?: SyncRecord): Promise<void> {
    const now = this.clock.now();
    let next: UserPresence | undefined;
    let before: UserPresence | undefined;
    let changed = false;
    let selfChanged = false;
    const { pos, applied } = await this.store.mutate(userId, (stored, claim) => {
      let state = stored === null || stored === undefined ? emptyPresence() : fromStored(stored);
      before = state;
      const all = opts.orphan
        ? Array.from({ length: claim.orphanSyncs }, (): PresenceInput => ({ kind: 'syncEnded', deviceId: opts.orphan!.deviceId, setPresence: opts.orphan!.setPresence }))
        : inputs;
      let wakeAt: number | null = null;
      for (const input of all.length ? all : [{ kind: 'tick' } as PresenceInput]) {
        const r = step(state, input, now, this.cfg);
        state = r.state;
        changed ||= r.effects.changed;
        selfChanged ||= r.effects.selfChanged;
        wakeAt = r.effects.nextWakeAt;
      }
      next = state;
      return { state: toStored(state), allocate: changed || selfChanged, wakeAt, sync };
    }, opts);
    if (!applied || !next) return;
    this.replica.set(userId, next);
    const obs = this.opts.observer;
    if (obs) {
      if (opts.claimTimerDueBy !== undefined) obs.timerFired();
      const from = before!.published.self.presence;
      const to = next.published.self.presence;
      if (from !== to) obs.transition(userId, from, to);
      if (pos !== null) obs.published(userId, pos);
    }
    if (pos !== null) {
      const scope = changed ? 'all' : 'self';
      this.log.insert({ pos, userId, scope });
      this.waker.wakeAll(scope === 'all' ? this.visibility.visibleTo(userId) : [userId]);
      this.bus.publish({ kind: 'presence', userId, pos, state: toStored(next), scope });
    }
  }

  profileChanged(userId: string): void {
    this.announce(userId, 'all');
  }

  joined(roomId: string, userId: string): void {
    this.announce(userId, 'room', roomId);
  }

  /** Entries with no state change of their own still need a cluster-wide position. */
  private announce(userId: string, scope: 'all' | 'room', roomId?: string): void {
    if (!this.cfg.enabled) return;
    this.store.allocatePosition().then((pos) => {
      this.log.insert(scope === 'room' ? { pos, userId, scope, roomId: roomId! } : { pos, userId, scope });
      this.waker.wakeAll(scope === 'room' ? this.graph.members(roomId!) : this.visibility.visibleTo(userId));
      this.bus.publish({ kind: 'presence', userId, pos, state: null, scope, roomId });
    }).catch((e: unknown) => this.opts.onError?.(e));
  }

  private onMessage(m: BusMessage): void {
    if (m.kind !== 'presence') return;
    if (m.state !== null) this.adopt(m.userId, m.state);
    if (m.scope === 'room' && m.roomId) {
      this.log.insert({ pos: m.pos, userId: m.userId, scope: 'room', roomId: m.roomId });
      this.waker.wakeAll(this.graph.members(m.roomId));
    } else {
      this.log.insert({ pos: m.pos, userId: m.userId, scope: m.scope === 'self' ? 'self' : 'all' });
      this.waker.wakeAll(m.scope === 'self' ? [m.userId] : this.visibility.visibleTo(m.userId));
    }
  }

  /** Reads every change after the readable position: recovers messages lost while Redis was away. */
  private async catchUp(): Promise<void> {
    const highest = await this.store.highestPosition();
    const from = this.log.position();
    if (highest <= from) return;
    const woken = new Set<string>();
    for (const row of await this.store.changedSince(from)) {
      this.adopt(row.userId, row.state);
      this.log.insert({ pos: row.pos, userId: row.userId, scope: 'all' });
      for (const u of this.visibility.visibleTo(row.userId)) woken.add(u);
    }
    this.log.advanceTo(highest);
    this.waker.wakeAll(woken);
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.clock.setTimeout(() => {
      if (this.stopped) return;
      this.polling = this.poll().then(() => {
        this.pollFailing = false;
      }, (e: unknown) => {
        // During an outage every poll fails: say so once, then every 10 s, not 4 times a second.
        const now = this.clock.now();
        if (!this.pollFailing || now - this.lastPollErrorLog >= 10_000) {
          this.lastPollErrorLog = now;
          this.opts.onError?.(e);
        }
        this.pollFailing = true;
      }).finally(() => this.schedulePoll());
    }, this.opts.pollMs ?? 250);
  }

  /** Due timers, heartbeats, dead instances' syncs, and a stalled log: the background duties. */
  async poll(): Promise<void> {
    const now = this.clock.now();
    const deadAfter = this.opts.deadAfterMs ?? 10_000;
    if (now - this.lastHeartbeat >= deadAfter / 4) {
      this.lastHeartbeat = now;
      await this.store.heartbeat(this.instanceId, now);
      for (const o of await this.store.orphanedSyncs(now - deadAfter)) {
        if (o.instanceId === this.instanceId) continue;
        await this.lock.run(o.userId, () =>
          this.mutate(o.userId, [], { orphan: { instanceId: o.instanceId, deviceId: o.deviceId, setPresence: o.setPresence } }));
        await this.store.forgetInstance(o.instanceId);
      }
    }
    for (const userId of await this.store.dueTimers(now, 500)) {
      await this.lock.run(userId, () => this.mutate(userId, [{ kind: 'tick' }], { claimTimerDueBy: now }));
    }
    // The highest position seen a second ago and still not reached here: its message was
    // lost (a peer published while its Redis connection was coming back), with no later
    // one to show the gap.
    if (now - this.lastHighestCheck >= 1000) {
      this.lastHighestCheck = now;
      const prev = this.previousHighest;
      this.previousHighest = await this.store.highestPosition();
      if (this.log.position() < prev) await this.catchUp();
    }
    // A position that has not arrived within half a second was lost with a message.
    if (!this.log.stalled()) this.stalledSince = null;
    else if (this.stalledSince === null) this.stalledSince = now;
    else if (now - this.stalledSince >= 500) {
      this.stalledSince = null;
      await this.catchUp();
    }
  }

  stateOf(userId: string): UserPresence | undefined {
    return this.replica.get(userId);
  }

  states(): IterableIterator<UserPresence> {
    return this.replica.values();
  }




  position(): number {
    return this.log.position();
  }

  changeLog(): ChangeLog {
    return this.log;
  }

  async flush(): Promise<void> {}

  /** Stops the background duties and waits for changes in flight (a drained sync's end). */
  async close(): Promise<void> {
    this.stopped = true;
    await this.polling;
    // Syncs drained by the stop end now, not after the grace: the instance will not resume them.
    await Promise.all([...this.holds].map(([key, hold]) => this.closeHold(key, hold)));
    await this.lock.idle();
  }
}
