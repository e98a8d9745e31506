/**
 * What the client knows, folded from /sync responses: rooms with their members and
 * timelines, pending invites, and the last presence of every user it has heard of.
 * Pure data and functions; `now` is passed in so tests need no clock.
 */
import type { RawEvent, SyncBody } from './api.js';

export interface Member {
  userId: string;
  displayname: string | null;
  membership: string;
}

export interface TimelineItem {
  eventId: string;
  sender: string;
  type: string;
  content: Record<string, unknown>;
  stateKey?: string;
  ts: number;
  /** A local echo waiting for the server (sendText); replaced by the real event. */
  pending?: boolean;
  txnId?: string;
  failed?: boolean;
}

export interface Room {
  roomId: string;
  name: string | null;
  alias: string | null;
  members: Map<string, Member>;
  timeline: TimelineItem[];
  /** Token for older history (`/messages?dir=b&from=`), null when the start was reached. */
  prevBatch: string | null;
  unread: number;
}

export interface Invite {
  roomId: string;
  name: string | null;
  inviter: string | null;
}

/** A user's presence as last received. `lastActiveTs` turns `last_active_ago` into a point in time so it can tick locally. */
export interface PresenceInfo {
  presence: string;
  statusMsg: string | null;
  lastActiveTs: number | null;
  currentlyActive: boolean;
  /** Only ever true in the user's own presence (the server sends it to the user alone). */
  appearOffline: boolean;
}

export interface Model {
  userId: string;
  rooms: Map<string, Room>;
  invites: Map<string, Invite>;
  presence: Map<string, PresenceInfo>;
  /** Display names from m.presence updates (profile changes), used when no member event names the user. */
  presenceNames: Map<string, string>;
  nextBatch: string | null;
}

export interface SyncChanges {
  rooms: boolean;
  presence: boolean;
  /** Rooms whose timeline got new events. */
  timelines: Set<string>;
}

export function emptyModel(userId: string): Model {
  return { userId, rooms: new Map(), invites: new Map(), presence: new Map(), presenceNames: new Map(), nextBatch: null };
}

function newRoom(roomId: string): Room {
  return { roomId, name: null, alias: null, members: new Map(), timeline: [], prevBatch: null, unread: 0 };
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Applies one state event to a room (members, name, alias). */
export function applyState(room: Room, ev: RawEvent): void {
  if (ev.state_key === undefined) return;
  switch (ev.type) {
    case 'm.room.member':
      room.members.set(ev.state_key, {
        userId: ev.state_key,
        displayname: str(ev.content.displayname),
        membership: str(ev.content.membership) ?? 'leave',
      });
      break;
    case 'm.room.name':
      room.name = str(ev.content.name);
      break;
    case 'm.room.canonical_alias':
      room.alias = str(ev.content.alias);
      break;
  }
}

function toItem(ev: RawEvent): TimelineItem {
  return {
    eventId: ev.event_id ?? '',
    sender: ev.sender,
    type: ev.type,
    content: ev.content ?? {},
    stateKey: ev.state_key,
    ts: ev.origin_server_ts ?? 0,
  };
}

/** Parses an m.presence content; `now` anchors last_active_ago. */
export function presenceFrom(content: Record<string, unknown>, now: number): PresenceInfo {
  const ago = typeof content.last_active_ago === 'number' ? content.last_active_ago : null;
  return {
    presence: str(content.presence) ?? 'offline',
    statusMsg: str(content.status_msg),
    lastActiveTs: ago === null ? null : now - ago,
    currentlyActive: content.currently_active === true,
    appearOffline: content.appear_offline === true,
  };
}

/** Folds one /sync response into the model and says what moved. */
export function applySync(model: Model, body: SyncBody, now: number): SyncChanges {
  const changes: SyncChanges = { rooms: false, presence: false, timelines: new Set() };
  const rooms = body.rooms ?? {};

  for (const [roomId, jr] of Object.entries(rooms.join ?? {})) {
    let room = model.rooms.get(roomId);
    const isNew = !room;
    if (!room) {
      room = newRoom(roomId);
      model.rooms.set(roomId, room);
      changes.rooms = true;
    }
    if (model.invites.delete(roomId)) changes.rooms = true;
    for (const ev of jr.state?.events ?? []) {
      applyState(room, ev);
      changes.rooms = true;
    }
    const tl = jr.timeline;
    if (tl) {
      // A gap: what we hold no longer joins up with what follows, so start again from here.
      if (tl.limited) {
        room.timeline = room.timeline.filter((i) => i.pending);
        room.prevBatch = tl.prev_batch ?? null;
      } else if (isNew) {
        room.prevBatch = tl.prev_batch ?? null;
      }
      for (const ev of tl.events ?? []) {
        if (ev.state_key !== undefined) {
          applyState(room, ev);
          changes.rooms = true;
        }
        const txn = ev.sender === model.userId ? ev.unsigned?.transaction_id : undefined;
        const echo = txn ? room.timeline.findIndex((i) => i.pending && i.txnId === txn) : -1;
        if (echo >= 0) room.timeline.splice(echo, 1);
        if (ev.event_id && room.timeline.some((i) => i.eventId === ev.event_id)) continue;
        insertBeforePending(room, toItem(ev));
        if (ev.type === 'm.room.message' && ev.sender !== model.userId && model.nextBatch !== null) room.unread++;
        changes.timelines.add(roomId);
      }
      if (reachedStart(room)) room.prevBatch = null;
    }
  }

  for (const [roomId, ir] of Object.entries(rooms.invite ?? {})) {
    if (model.rooms.has(roomId)) continue;
    const events = ir.invite_state?.events ?? [];
    const name = events.find((e) => e.type === 'm.room.name');
    const mine = events.find((e) => e.type === 'm.room.member' && e.state_key === model.userId);
    model.invites.set(roomId, { roomId, name: name ? str(name.content.name) : null, inviter: mine?.sender ?? null });
    changes.rooms = true;
  }

  for (const roomId of Object.keys(rooms.leave ?? {})) {
    if (model.rooms.delete(roomId) || model.invites.delete(roomId)) changes.rooms = true;
  }

  for (const ev of body.presence?.events ?? []) {
    if (ev.type !== 'm.presence') continue;
    model.presence.set(ev.sender, presenceFrom(ev.content ?? {}, now));
    const dn = str(ev.content?.displayname);
    if (dn) model.presenceNames.set(ev.sender, dn);
    changes.presence = true;
  }

  model.nextBatch = body.next_batch;
  return changes;
}

function insertBeforePending(room: Room, item: TimelineItem): void {
  const firstPending = room.timeline.findIndex((i) => i.pending);
  if (firstPending < 0) room.timeline.push(item);
  else room.timeline.splice(firstPending, 0, item);
}

/** Prepends a `/messages?dir=b` chunk (newest first) and moves the history token. */
export function prependHistory(room: Room, chunk: RawEvent[], end: string | undefined): void {
  const known = new Set(room.timeline.map((i) => i.eventId));
  const older = chunk.filter((e) => !e.event_id || !known.has(e.event_id)).reverse().map(toItem);
  room.timeline = [...older, ...room.timeline];
  room.prevBatch = chunk.length === 0 || !end || reachedStart(room) ? null : end;
}

/** The room's creation event is held: there is no older history to ask for. */
function reachedStart(room: Room): boolean {
  return room.timeline.some((i) => i.type === 'm.room.create');
}

/** A local echo for a message being sent. */
export function addPending(room: Room, sender: string, text: string, txnId: string, now: number): void {
  room.timeline.push({ eventId: '', sender, type: 'm.room.message', content: { msgtype: 'm.text', body: text }, ts: now, pending: true, txnId });
}

/** Everyone joined to a room the user has joined, except the user. */
export function contactIds(model: Model): string[] {
  const ids = new Set<string>();
  for (const room of model.rooms.values()) {
    for (const m of room.members.values()) if (m.membership === 'join' && m.userId !== model.userId) ids.add(m.userId);
  }
  return [...ids];
}

/** Display name: a member event's, then a presence update's, then the user ID's localpart. */
export function displayName(model: Model, userId: string): string {
  for (const room of model.rooms.values()) {
    const dn = room.members.get(userId)?.displayname;
    if (dn) return dn;
  }
  return model.presenceNames.get(userId) ?? userId.replace(/^@/, '').split(':')[0];
}

/** Room name: m.room.name, the canonical alias, the other members' names, or the ID. */
export function roomName(model: Model, room: Room): string {
  if (room.name) return room.name;
  if (room.alias) return room.alias;
  const others = [...room.members.values()].filter((m) => m.membership === 'join' && m.userId !== model.userId);
  if (others.length > 0) return others.slice(0, 3).map((m) => displayName(model, m.userId)).join(', ');
  return room.roomId;
}
