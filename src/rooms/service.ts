import type { Clock } from '../common/clock.js';
import { MatrixError, forbidden, notFound } from '../common/errors.js';
import type { EventProto, JsonObject, StateMap } from '../common/events.js';
import { stateKey } from '../common/events.js';
import { KeyedMutex } from '../common/mutex.js';
import { buildEvent, type SigningKey } from '../federation/index.js';
import { authEventTypes, authorizeEvent } from './auth/index.js';
import type { MembershipIndex } from './membershipIndex.js';
import type { RoomStore, StoredEvent } from './store.js';

export interface RoomEventListener {
  /**
   * Called after an event is stored. `audience` are local users the event concerns:
   * members joined after it, plus the target of a membership change.
   */
  eventPersisted?(ev: StoredEvent, audience: ReadonlySet<string>): void;
  /** A user's joined-ness in a room changed (join, or leave/kick/ban after join). */
  membershipChanged?(roomId: string, userId: string, joined: boolean): void;
  /** A user forgot a room they had left: their membership row changed without an event. */
  membershipForgotten?(roomId: string, userId: string): void;
}

export interface SendOptions {
  stateKey?: string;
  txn?: { deviceId: string; txnId: string };
  redacts?: string;
}

interface RoomCache {
  state: StateMap;
  head: { eventId: string; depth: number } | null;
}

/**
 * Builds, authorizes and stores room events. One room's events are created one at a
 * time under a per-room lock, so depth and prev_events always form a chain.
 */
export class RoomEvents {
  private readonly lock = new KeyedMutex();
  private readonly cache = new Map<string, RoomCache>();
  private readonly listeners: RoomEventListener[] = [];

  constructor(
    readonly store: RoomStore,
    private readonly index: MembershipIndex,
    private readonly clock: Clock,
    readonly serverName: string,
    private readonly key: SigningKey,
    /** Several instances write this database: re-check the cached room head before each event. */
    private readonly shared = false,
  ) {}

  listen(l: RoomEventListener): void {
    this.listeners.push(l);
  }

  private async room(roomId: string): Promise<RoomCache> {
    let c = this.cache.get(roomId);
    if (!c) {
      const state: StateMap = new Map();
      for (const ev of await this.store.currentState(roomId)) state.set(stateKey(ev.pdu.type, ev.pdu.state_key ?? ''), ev.pdu);
      const latest = await this.store.latestEvent(roomId);
      c = { state, head: latest ? { eventId: latest.pdu.event_id, depth: latest.pdu.depth } : null };
      this.cache.set(roomId, c);
    }
    return c;
  }

  /** The room's current state (read-only view); empty if the room is unknown. */
  async state(roomId: string): Promise<StateMap> {
    return (await this.room(roomId)).state;
  }

  async stateContent(roomId: string, type: string, key = ''): Promise<JsonObject | undefined> {
    return (await this.state(roomId)).get(stateKey(type, key))?.content;
  }

  async exists(roomId: string): Promise<boolean> {
    return (await this.store.getRoom(roomId)) !== undefined;
  }

  /** Creates, authorizes and stores one event; returns it. Throws 403 with the auth rule's reason. */
  send(sender: string, roomId: string, type: string, content: JsonObject, opts: SendOptions = {}): Promise<StoredEvent> {
    return this.lock.run(roomId, async () => {
      let fresh = false;
      const stored = await this.store.withRoomLock(roomId, async (tx) => {
        if (opts.txn) {
          const existing = await this.store.txnEvent(sender, opts.txn.deviceId, opts.txn.txnId);
          const ev = existing ? await this.store.getEvent(existing) : undefined;
          if (ev) return ev;
        }
        const built = await this.build(sender, roomId, type, content, opts);
        fresh = true;
        return this.store.persistEvent({
          pdu: built,
          txn: opts.txn ? { userId: sender, deviceId: opts.txn.deviceId, txnId: opts.txn.txnId, ts: this.clock.now() } : undefined,
        }, tx);
      });
      if (fresh) {
        // Only after the commit: a woken /sync must be able to read what woke it.
        const room = await this.room(roomId);
        const pdu = stored.pdu;
        room.head = { eventId: pdu.event_id, depth: pdu.depth };
        if (pdu.state_key !== undefined) room.state.set(stateKey(pdu.type, pdu.state_key), pdu);
        this.afterPersist(stored);
      }
      return stored;
    });
  }

  /** Tells listeners that a user forgot a room (Memberships.forget, after storing it). */
  forgotten(roomId: string, userId: string): void {
    for (const l of this.listeners) l.membershipForgotten?.(roomId, userId);
  }

  /** Drops the cached state of a room another instance wrote to. */
  forget(roomId: string): void {
    this.cache.delete(roomId);
  }

  /** Drops every cached room (after other instances' writes may have gone unannounced). */
  forgetAll(): void {
    this.cache.clear();
  }

  private async build(sender: string, roomId: string, type: string, content: JsonObject, opts: SendOptions): Promise<StoredEvent['pdu']> {
    if (this.shared) {
      const cached = this.cache.get(roomId);
      const latest = await this.store.latestEvent(roomId);
      if (cached && cached.head?.eventId !== latest?.pdu.event_id) this.cache.delete(roomId);
    }
    const room = await this.room(roomId);
    if (!room.head && type !== 'm.room.create') throw notFound('Unknown room');
    const proto: EventProto = {
      room_id: roomId,
      sender,
      type,
      content,
      origin_server_ts: this.clock.now(),
      depth: (room.head?.depth ?? 0) + 1,
      prev_events: room.head ? [room.head.eventId] : [],
      auth_events: [],
    };
    if (opts.stateKey !== undefined) proto.state_key = opts.stateKey;
    if (opts.redacts !== undefined) proto.redacts = opts.redacts;
    const authIds: string[] = [];
    for (const [t, k] of authEventTypes(proto)) {
      const ev = room.state.get(stateKey(t, k));
      if (ev?.event_id && !authIds.includes(ev.event_id)) authIds.push(ev.event_id);
    }
    proto.auth_events = authIds;
    const verdict = authorizeEvent(proto as never, room.state);
    if (!verdict.allowed) throw forbidden(verdict.reason);
    return buildEvent(proto, this.serverName, this.key) as StoredEvent['pdu'];
  }

  private afterPersist(ev: StoredEvent): void {
    const p = ev.pdu;
    let changedJoin: boolean | undefined;
    let wasJoined = false;
    if (p.type === 'm.room.member' && p.state_key !== undefined) {
      wasJoined = this.index.isJoined(p.room_id, p.state_key);
      if (this.index.apply(p.room_id, p.state_key, String(p.content.membership))) changedJoin = !wasJoined;
    }
    const audience = new Set(this.index.members(p.room_id));
    if (p.type === 'm.room.member' && p.state_key !== undefined) audience.add(p.state_key);
    for (const l of this.listeners) {
      if (changedJoin !== undefined) l.membershipChanged?.(p.room_id, p.state_key!, changedJoin);
      l.eventPersisted?.(ev, audience);
    }
  }

  async getEventFor(userId: string, eventId: string): Promise<StoredEvent> {
    const ev = await this.store.getEvent(eventId);
    if (!ev || !(await this.canSee(userId, ev))) throw notFound('Event not found');
    return ev;
  }

  /**
   * History visibility: joined members see the room's history unless it is `joined` or
   * `invited` (then only from their membership on); former members see up to their leave.
   */
  async canSee(userId: string, ev: StoredEvent): Promise<boolean> {
    const m = await this.store.membership(ev.pdu.room_id, userId);
    const vis = String((await this.stateContent(ev.pdu.room_id, 'm.room.history_visibility'))?.history_visibility ?? 'shared');
    if (vis === 'world_readable') return true;
    if (!m) return false;
    if (m.membership === 'join') {
      if (vis === 'shared') return true;
      return ev.streamPos >= (await this.visibleFrom(ev.pdu.room_id, userId, vis));
    }
    if (m.membership === 'invite' && vis === 'invited') return ev.streamPos >= m.streamPos;
    if (m.membership === 'leave' || m.membership === 'ban') {
      if (ev.streamPos > m.streamPos) return false;
      return vis === 'shared' || ev.streamPos >= (await this.visibleFrom(ev.pdu.room_id, userId, vis));
    }
    return false;
  }

  /** Where the user's current stretch of membership began (their invite or join). */
  async visibleFrom(roomId: string, userId: string, vis: string): Promise<number> {
    const cur = await this.store.membership(roomId, userId);
    let from = cur?.streamPos ?? Number.MAX_SAFE_INTEGER;
    // Walk back through the user's member events while they stay join/invite.
    let ev = cur ? await this.store.getEvent(cur.eventId) : undefined;
    while (ev?.replacesState) {
      const prev = await this.store.getEvent(ev.replacesState);
      const ms = String(prev?.pdu.content.membership);
      if (!prev || !(ms === 'join' || (vis === 'invited' && ms === 'invite'))) break;
      from = prev.streamPos;
      ev = prev;
    }
    return from;
  }

  requireJoined(roomId: string, userId: string): void {
    if (!this.index.isJoined(roomId, userId)) throw forbidden(`You are not joined to ${roomId}`);
  }

  /** Raises MatrixError 400 when content is not a JSON object. */
  static checkContent(content: unknown): JsonObject {
    if (!content || typeof content !== 'object' || Array.isArray(content)) throw new MatrixError(400, 'M_BAD_JSON', 'Content must be a JSON object');
    return content as JsonObject;
  }
}
