import type { JsonObject } from '../../common/events.js';
import { strippedState, type MembershipRow, type ReceiptStore, type RoomEvents, type StoredEvent } from '../../rooms/index.js';
import type { AccountDataStore } from '../../users/index.js';
import { matchesEventFilter, roomAllowed, type RoomEventFilter, type RoomFilter } from '../filter.js';
import { RecentEvents, type RecentEventsLimits } from './recentEvents.js';
import { loadTimeline, serveEvents, stateAt, stateDelta, type RecentSource } from './roomTimeline.js';
import type { StreamProvider, SyncContext } from './types.js';

const INVITE_STATE_TYPES = new Set(['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic']);
const NOTIFYING_TYPES = ['m.room.message', 'm.room.encrypted'];
const MAX_UNREAD_COUNTS = 500_000;
const MAX_MEMBERSHIP_ROWS = 200_000;

/** The in-memory membership index, as far as this stream needs it. */
export interface JoinedRoomsIndex {
  roomsOf(userId: string): ReadonlySet<string>;
}

/** Timelines, state, invites and leaves: the `rooms` stream. */
export class RoomsStream implements StreamProvider {
  readonly stream = 'rooms' as const;
  private pos = 0;
  /** Each room's latest event, and each user's latest membership event, noted as they are stored. */
  private readonly roomLast = new Map<string, number>();
  private readonly memberLast = new Map<string, number>();
  /** Events at or below this position were not noted (before start-up, or learnt only as a position). */
  private knownFrom = 0;
  private readonly unreadCounts = new Map<string, { receiptsPos: number; membershipPos: number; upTo: number; count: number }>();
  /** Each room's newest events (single instance only: see `shared`). */
  private readonly recent: RecentEvents | null;
  private readonly recentSource: RecentSource | undefined;
  /** A user's membership rows as read, valid while their latest membership event is `at`. */
  private readonly membershipRows = new Map<string, { at: number; rows: MembershipRow[] }>();

  constructor(
    private readonly rooms: RoomEvents,
    private readonly accountData: AccountDataStore,
    private readonly receipts: ReceiptStore,
    private readonly index: JoinedRoomsIndex,
    /**
     * Other instances write this stream too: their events arrive by the bus, possibly
     * after a later local one, so only storage can say what a range holds.
     */
    private readonly opts: { shared?: boolean; recent?: RecentEventsLimits } = {},
  ) {
    this.recent = opts.shared ? null : new RecentEvents(opts.recent);
    const recent = this.recent;
    this.recentSource = recent ? (roomId, from, to, n) => recent.newest(roomId, from, to, n, this.knownFrom) : undefined;
  }

  /** The stream is at least at pos, by events this stream was not shown one by one. */
  setPosition(pos: number): void {
    if (pos > this.pos) this.pos = pos;
    if (pos > this.knownFrom) this.knownFrom = pos;
  }

  /** An event stored by this process, in stream order. */
  noteEvent(ev: StoredEvent): void {
    const roomId = ev.pdu.room_id;
    const pos = ev.streamPos;
    const member = ev.pdu.type === 'm.room.member' ? ev.pdu.state_key : undefined;
    if (pos > (this.roomLast.get(roomId) ?? -1)) this.roomLast.set(roomId, pos);
    if (member !== undefined && pos > (this.memberLast.get(member) ?? -1)) this.memberLast.set(member, pos);
    if (pos > this.pos) this.pos = pos;
    this.recent?.note(ev);
  }

  /** The user forgot a room: their membership rows changed without an event. */
  noteForgotten(userId: string): void {
    this.membershipRows.delete(userId);
  }

  position(): number {
    return this.pos;
  }

  fill(ctx: SyncContext): Promise<void> | void {
    // Most long-polls wake for presence or typing: with no room event and no account data
    // since the token there is nothing to add, and the joined rooms come from memory. The
    // index and this.pos move together (synchronously, after each persist), so checking
    // this.pos proves the index holds no join later than the response's position.
    const since = ctx.since;
    if (since && !ctx.fullState && this.pos === ctx.to.rooms && since.accountData === ctx.to.accountData && (since.rooms === ctx.to.rooms || this.untouched(ctx.userId, since.rooms))) {
      for (const roomId of this.index.roomsOf(ctx.userId)) ctx.joinedRooms.push(roomId);
      return;
    }
    return this.fillChanged(ctx);
  }

  /**
   * Whether nothing since `from` concerns the user: no event in their rooms and no change
   * of their own membership. Events elsewhere (most of a busy server's) then cost no reads.
   */
  private untouched(userId: string, from: number): boolean {
    if (this.opts.shared || from < this.knownFrom || (this.memberLast.get(userId) ?? -1) > from) return false;
    for (const roomId of this.index.roomsOf(userId)) if ((this.roomLast.get(roomId) ?? -1) > from) return false;
    return true;
  }

  private async fillChanged(ctx: SyncContext): Promise<void> {
    const from = ctx.since?.rooms ?? 0;
    const to = ctx.to.rooms;
    const roomFilter = ctx.filter.room;
    const memberships = (await this.membershipsOf(ctx.userId)).filter((m) => m.streamPos <= to || m.membership === 'join');
    for (const m of memberships) {
      if (m.membership === 'join' && m.streamPos <= to) ctx.joinedRooms.push(m.roomId);
    }
    const changedRooms = ctx.since ? await this.roomsWithEvents(ctx.joinedRooms, from, to) : new Set(ctx.joinedRooms);
    const roomAccountData = new Map<string, JsonObject[]>();
    const accountDataFrom = ctx.since ? ctx.since.accountData : -1;
    const accountData = accountDataFrom < ctx.to.accountData ? await this.accountData.accountDataSince(ctx.userId, accountDataFrom, ctx.to.accountData) : [];
    for (const d of accountData) {
      if (d.roomId === '') continue;
      if (!roomAccountData.has(d.roomId)) roomAccountData.set(d.roomId, []);
      roomAccountData.get(d.roomId)!.push({ type: d.type, content: d.content });
    }

    for (const m of memberships) {
      if (!roomAllowed(roomFilter, m.roomId) || m.streamPos > to) continue;
      // A join -> join member event (a profile change) moves streamPos but is not a new join.
      const isNew = ctx.since === null || (m.streamPos > from && !(m.membership === 'join' && (await this.joinedThroughout(m, from))));
      // full_state repeats the complete state, but the timeline still starts at `since` (spec).
      const complete = isNew || ctx.fullState;
      if (m.membership === 'join') {
        if (complete) ctx.newlyJoined.add(m.roomId);
        if (!complete && !changedRooms.has(m.roomId) && !roomAccountData.has(m.roomId)) continue;
        await this.fillJoined(ctx, m, isNew, complete, roomAccountData.get(m.roomId) ?? []);
      } else if (m.membership === 'invite' && complete) {
        await this.fillInvite(ctx, m);
      } else if ((m.membership === 'leave' || m.membership === 'ban') && !m.forgotten) {
        const wanted = ctx.since ? m.streamPos > from : roomFilter?.include_leave === true;
        if (wanted) await this.fillLeft(ctx, m, isNew);
      }
    }
  }

  /** The user's membership rows, from memory while no membership event of theirs came since. */
  private async membershipsOf(userId: string): Promise<MembershipRow[]> {
    if (!this.recent) return this.rooms.store.membershipsOfUser(userId);
    const at = this.memberLast.get(userId) ?? -1;
    const hit = this.membershipRows.get(userId);
    if (hit && hit.at === at) return hit.rows;
    const rows = await this.rooms.store.membershipsOfUser(userId);
    // Noted while the read was in flight: the rows may predate it, so they are not kept.
    if ((this.memberLast.get(userId) ?? -1) === at) {
      if (this.membershipRows.size >= MAX_MEMBERSHIP_ROWS) this.membershipRows.clear();
      this.membershipRows.set(userId, { at, rows });
    }
    return rows;
  }

  /** Which of the rooms have an event in (from, to]: from memory where it can say, else storage. */
  private async roomsWithEvents(roomIds: string[], from: number, to: number): Promise<Set<string>> {
    if (!this.recent) return new Set(await this.rooms.store.roomsWithEventsBetween(roomIds, from, to));
    const changed = new Set<string>();
    const ask: string[] = [];
    for (const roomId of roomIds) {
      const known = this.hasEventBetween(this.recent, roomId, from, to);
      if (known === undefined) ask.push(roomId);
      else if (known) changed.add(roomId);
    }
    if (ask.length) for (const roomId of await this.rooms.store.roomsWithEventsBetween(ask, from, to)) changed.add(roomId);
    return changed;
  }

  /**
   * Every event since knownFrom was noted, so the room's latest position settles most
   * ranges; one whose latest event is past `to` needs the window, and any range reaching
   * below knownFrom needs storage (undefined).
   */
  private hasEventBetween(recent: RecentEvents, roomId: string, from: number, to: number): boolean | undefined {
    if (from < this.knownFrom) return undefined;
    const last = this.roomLast.get(roomId) ?? -1;
    if (last <= from) return false;
    if (last <= to) return true;
    return recent.any(roomId, from, to, this.knownFrom);
  }

  private async fillJoined(ctx: SyncContext, m: MembershipRow, isNew: boolean, complete: boolean, accountData: JsonObject[]): Promise<void> {
    const store = this.rooms.store;
    const f = ctx.filter.room;
    const from = isNew ? await this.historyStart(m.roomId, ctx.userId) : ctx.since!.rooms;
    const tl = await loadTimeline(store, m.roomId, from, ctx.to.rooms, f?.timeline, this.recentSource);
    const lazy = lazyMembers(f) ? neededMembers(tl.events, ctx.userId) : undefined;
    const state = complete ? await stateAt(store, m.roomId, tl.startPos, lazy) : tl.limited ? await stateDelta(store, m.roomId, from, tl.startPos) : [];
    const entry = ctx.joined(m.roomId);
    const serveCtx = { now: ctx.now, userId: ctx.userId, deviceId: ctx.deviceId };
    entry.timeline = { events: await serveEvents(store, tl.events, serveCtx), limited: tl.limited, prev_batch: tl.prevBatch };
    const wanted = lazy ? state.filter((e) => e.pdu.type !== 'm.room.member' || lazy.has(String(e.pdu.state_key))) : state;
    entry.state = { events: await serveEvents(store, filterState(wanted, f?.state, m.roomId), serveCtx) };
    entry.account_data = { events: accountData.filter((e) => matchesEventFilter(f?.account_data, { type: String(e.type), sender: ctx.userId })) };
    entry.unread_notifications = await this.unread(ctx, m);
    // The spec lets an unchanged summary be left out: it is sent with complete state and
    // whenever this response carries a membership change, not on every new message.
    const membershipMoved = complete || tl.limited || tl.events.some((e) => e.pdu.type === 'm.room.member');
    entry.summary = membershipMoved ? await this.summary(m.roomId, ctx.userId) : {};
  }

  /** Whether the user has been joined without a break from stream position `at` to now. */
  private async joinedThroughout(m: MembershipRow, at: number): Promise<boolean> {
    let ev = await this.rooms.store.getEvent(m.eventId);
    while (ev && ev.streamPos > at) {
      if (ev.pdu.content.membership !== 'join') return false;
      ev = ev.replacesState ? await this.rooms.store.getEvent(ev.replacesState) : undefined;
    }
    return ev?.pdu.content.membership === 'join';
  }

  /** Where a member's view of history begins: 0 unless history visibility restricts it. */
  private async historyStart(roomId: string, userId: string): Promise<number> {
    const vis = String((await this.rooms.stateContent(roomId, 'm.room.history_visibility'))?.history_visibility ?? 'shared');
    if (vis === 'shared' || vis === 'world_readable') return 0;
    return Math.max(0, (await this.rooms.visibleFrom(roomId, userId, vis)) - 1);
  }

  private async fillInvite(ctx: SyncContext, m: MembershipRow): Promise<void> {
    const store = this.rooms.store;
    const events: JsonObject[] = [];
    for (const ev of await stateAt(store, m.roomId, m.streamPos)) {
      if (INVITE_STATE_TYPES.has(ev.pdu.type)) events.push(strippedState(ev));
    }
    const invite = await store.getEvent(m.eventId);
    if (invite) events.push({ ...strippedState(invite), event_id: invite.pdu.event_id, origin_server_ts: invite.pdu.origin_server_ts });
    ctx.response.rooms.invite[m.roomId] = { invite_state: { events } };
  }

  private async fillLeft(ctx: SyncContext, m: MembershipRow, isNew: boolean): Promise<void> {
    const store = this.rooms.store;
    const f = ctx.filter.room;
    const from = isNew && !ctx.since ? 0 : (ctx.since?.rooms ?? 0);
    const tl = await loadTimeline(store, m.roomId, from, m.streamPos, f?.timeline);
    const state = await stateAt(store, m.roomId, tl.startPos);
    const serveCtx = { now: ctx.now, userId: ctx.userId, deviceId: ctx.deviceId };
    ctx.response.rooms.leave[m.roomId] = {
      timeline: { events: await serveEvents(store, tl.events, serveCtx), limited: tl.limited, prev_batch: tl.prevBatch },
      state: { events: await serveEvents(store, filterState(state, f?.state, m.roomId), serveCtx) },
      account_data: { events: [] },
    };
  }

  /**
   * Messages from others after the user's read receipt, up to the response's position.
   * Counted incrementally: while the read position stays, only events after the last
   * count are counted, so a long unread history is not re-counted on every sync.
   */
  private async unread(ctx: SyncContext, m: MembershipRow) {
    const key = `${m.roomId}\u0000${ctx.userId}`;
    const to = ctx.to.rooms;
    let c = this.unreadCounts.get(key);
    // The read position changes with a receipt or a new membership; either invalidates the count.
    if (!c || c.receiptsPos !== ctx.to.receipts || c.membershipPos !== m.streamPos || c.upTo > to) {
      const readPos = await this.readPosition(m.roomId, ctx.userId);
      const count = await this.rooms.store.countEventsAfter(m.roomId, readPos, ctx.userId, NOTIFYING_TYPES, to);
      c = { receiptsPos: ctx.to.receipts, membershipPos: m.streamPos, upTo: to, count };
      if (this.unreadCounts.size >= MAX_UNREAD_COUNTS) this.unreadCounts.clear();
      this.unreadCounts.set(key, c);
    } else if (c.upTo < to) {
      const from = c.upTo;
      const base = c.count;
      const added = this.recent?.count(m.roomId, from, to, this.knownFrom, (e) => e.pdu.sender !== ctx.userId && NOTIFYING_TYPES.includes(e.pdu.type))
        ?? (await this.rooms.store.countEventsAfter(m.roomId, from, ctx.userId, NOTIFYING_TYPES, to));
      const total = base + added;
      // A concurrent sync may have moved the entry meanwhile; this answer is right for `to` either way.
      if (this.unreadCounts.get(key) === c && c.upTo === from) Object.assign(c, { upTo: to, count: total });
      return { notification_count: total, highlight_count: 0 };
    }
    return { notification_count: c.count, highlight_count: 0 };
  }

  private async readPosition(roomId: string, userId: string): Promise<number> {
    const r = await this.receipts.userReceipt(roomId, userId, 'm.read');
    if (!r) {
      const own = await this.rooms.store.membership(roomId, userId);
      return own?.streamPos ?? 0;
    }
    return (await this.rooms.store.getEvent(r.eventId))?.streamPos ?? 0;
  }

  private async summary(roomId: string, userId: string): Promise<JsonObject> {
    // Counted in SQL: a room of thousands would otherwise be read whole on every sync it is in.
    const s = await this.rooms.store.memberSummary(roomId, userId, 5);
    return { 'm.heroes': s.heroes, 'm.joined_member_count': s.joined, 'm.invited_member_count': s.invited };
  }
}

function filterState(events: StoredEvent[], f: RoomEventFilter | undefined, roomId: string): StoredEvent[] {
  return events.filter((e) => matchesEventFilter(f, { ...e.pdu, room_id: roomId }));
}

/** Lazy-loading members (spec "Lazy-loading room members"), asked for in the state or timeline filter. */
function lazyMembers(f: RoomFilter | undefined): boolean {
  return f?.state?.lazy_load_members === true || f?.timeline?.lazy_load_members === true;
}

/**
 * Whose member events the state section keeps when members are lazy-loaded: the
 * timeline's senders and the syncing user. Redundant members (sent in an earlier
 * response) are sent again; clients keep the latest either way.
 */
function neededMembers(timeline: StoredEvent[], userId: string): Set<string> {
  const needed = new Set<string>([userId]);
  for (const e of timeline) needed.add(e.pdu.sender);
  return needed;
}
