import type { ClientEvent } from '../../common/events.js';
import { toClientEvent, type RoomStore, type ServeContext, type StoredEvent } from '../../rooms/index.js';
import { matchesEventFilter, type RoomEventFilter } from '../filter.js';
import { encodeRoomToken } from '../token.js';

const DEFAULT_TIMELINE_LIMIT = 10;
const MAX_TIMELINE_LIMIT = 100;

export interface Timeline {
  events: StoredEvent[];
  limited: boolean;
  prevBatch: string;
  /** Stream position just before the first timeline event. */
  startPos: number;
}

/** The newest n events of a room in (from, to], newest first, when memory holds them. */
export type RecentSource = (roomId: string, from: number, to: number, n: number) => StoredEvent[] | undefined;

/** Timeline of a room in (from, to], newest `limit` events, filtered. */
export async function loadTimeline(
  store: RoomStore,
  roomId: string,
  from: number,
  to: number,
  f: RoomEventFilter | undefined,
  recent?: RecentSource,
): Promise<Timeline> {
  const limit = Math.min(f?.limit ?? DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT);
  const raw = recent?.(roomId, from, to, limit + 1) ?? (await store.roomEvents(roomId, from, to, 'b', limit + 1));
  const limited = raw.length > limit;
  const kept = raw.slice(0, limit).reverse();
  const startPos = kept.length ? kept[0].streamPos - 1 : to;
  const events = kept.filter((e) => matchesEventFilter(f, { ...e.pdu, room_id: roomId }));
  return { events, limited, prevBatch: encodeRoomToken({ stream: startPos }), startPos };
}

/**
 * The room's state at stream position `at`: each current state entry walked back along
 * its replaces_state chain until it is no later than `at`.
 */
export async function stateAt(store: RoomStore, roomId: string, at: number, onlyMembers?: Set<string>): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  // With lazy-loaded members, a room of thousands is read without its thousands of member events.
  const current = onlyMembers ? await store.currentStateWithMembers(roomId, [...onlyMembers]) : await store.currentState(roomId);
  for (let ev of current) {
    let cur: StoredEvent | undefined = ev;
    while (cur && cur.streamPos > at) cur = cur.replacesState ? await store.getEvent(cur.replacesState) : undefined;
    if (cur) out.push(cur);
    ev = cur ?? ev;
  }
  return out;
}

/** State changes in (from, to] not already in the timeline: the latest event per key. */
export async function stateDelta(store: RoomStore, roomId: string, from: number, to: number): Promise<StoredEvent[]> {
  const latest = new Map<string, StoredEvent>();
  for (const ev of await store.stateEventsBetween(roomId, from, to)) latest.set(`${ev.pdu.type}\u0000${ev.pdu.state_key}`, ev);
  return [...latest.values()];
}

/** Serves events in client format, with prev_content and redacted_because resolved in two batched reads. */
export async function serveEvents(
  store: RoomStore,
  events: StoredEvent[],
  ctx: { now: number; userId: string; deviceId: string },
): Promise<ClientEvent[]> {
  const replacedIds = events.map((e) => e.replacesState).filter((x): x is string => x !== null);
  const redactionIds = events.map((e) => e.redactedBy).filter((x): x is string => x !== null);
  const replaced = new Map((await store.getEvents(replacedIds)).map((e) => [e.pdu.event_id, e]));
  const redactions = new Map((await store.getEvents(redactionIds)).map((e) => [e.pdu.event_id, e]));
  // One context for the batch, written out: a spread plus new fields would give each
  // copy a hidden class of its own (common/objects.ts).
  const serveCtx: ServeContext = { now: ctx.now, userId: ctx.userId, deviceId: ctx.deviceId, replaced, redactions };
  return events.map((e) => toClientEvent(e, serveCtx));
}
