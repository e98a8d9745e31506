/**
 * The Client-Server API filter (spec "Filtering"): parsing with strict type
 * checks, and the pure predicates /sync and /messages apply with it.
 */
import { badJson } from '../common/errors.js';

export interface EventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
}

export interface RoomEventFilter extends EventFilter {
  rooms?: string[];
  not_rooms?: string[];
  contains_url?: boolean;
  lazy_load_members?: boolean;
  include_redundant_members?: boolean;
  unread_thread_notifications?: boolean;
}

export interface RoomFilter {
  rooms?: string[];
  not_rooms?: string[];
  include_leave?: boolean;
  timeline?: RoomEventFilter;
  state?: RoomEventFilter;
  ephemeral?: RoomEventFilter;
  account_data?: RoomEventFilter;
}

export interface Filter {
  event_fields?: string[];
  event_format?: 'client' | 'federation';
  presence?: EventFilter;
  account_data?: EventFilter;
  room?: RoomFilter;
}

/** What the predicates look at; events of every shape (client, federation, ephemeral) fit. */
export interface FilterableEvent {
  type: string;
  sender: string;
  content?: object;
  room_id?: string;
}

// ---- parsing ----

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function objectAt(v: unknown, path: string): Obj {
  if (!isObj(v)) throw badJson(`${path || 'filter'} must be an object`);
  return v;
}

function stringList(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw badJson(`${path} must be an array of strings`);
  }
  return [...v];
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw badJson(`${path} must be a boolean`);
  return v;
}

function positiveInt(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw badJson(`${path} must be a positive integer`);
  }
  return v;
}

/** Copies only the fields it knows: unknown keys are dropped, as the spec lets us. */
function parseEventFilterFields(o: Obj, path: string): EventFilter {
  const f: EventFilter = {};
  if (o.limit !== undefined) f.limit = positiveInt(o.limit, `${path}.limit`);
  if (o.types !== undefined) f.types = stringList(o.types, `${path}.types`);
  if (o.not_types !== undefined) f.not_types = stringList(o.not_types, `${path}.not_types`);
  if (o.senders !== undefined) f.senders = stringList(o.senders, `${path}.senders`);
  if (o.not_senders !== undefined) f.not_senders = stringList(o.not_senders, `${path}.not_senders`);
  return f;
}

function parseEventFilter(v: unknown, path: string): EventFilter {
  return parseEventFilterFields(objectAt(v, path), path);
}

const ROOM_EVENT_BOOLS = [
  'contains_url',
  'lazy_load_members',
  'include_redundant_members',
  'unread_thread_notifications',
] as const;

function parseRoomEventFilter(v: unknown, path: string): RoomEventFilter {
  const o = objectAt(v, path);
  const f: RoomEventFilter = parseEventFilterFields(o, path);
  if (o.rooms !== undefined) f.rooms = stringList(o.rooms, `${path}.rooms`);
  if (o.not_rooms !== undefined) f.not_rooms = stringList(o.not_rooms, `${path}.not_rooms`);
  for (const k of ROOM_EVENT_BOOLS) {
    if (o[k] !== undefined) f[k] = bool(o[k], `${path}.${k}`);
  }
  return f;
}

const ROOM_SUBFILTERS = ['timeline', 'state', 'ephemeral', 'account_data'] as const;

function parseRoomFilter(v: unknown, path: string): RoomFilter {
  const o = objectAt(v, path);
  const f: RoomFilter = {};
  if (o.rooms !== undefined) f.rooms = stringList(o.rooms, `${path}.rooms`);
  if (o.not_rooms !== undefined) f.not_rooms = stringList(o.not_rooms, `${path}.not_rooms`);
  if (o.include_leave !== undefined) f.include_leave = bool(o.include_leave, `${path}.include_leave`);
  for (const k of ROOM_SUBFILTERS) {
    if (o[k] !== undefined) f[k] = parseRoomEventFilter(o[k], `${path}.${k}`);
  }
  return f;
}

/**
 * Validates a filter body (POST /user/{userId}/filter, or /sync's inline
 * `filter=` JSON). Throws 400 M_BAD_JSON naming the offending field.
 */
export function parseFilter(json: unknown): Filter {
  const o = objectAt(json, '');
  const f: Filter = {};
  if (o.event_fields !== undefined) f.event_fields = stringList(o.event_fields, 'event_fields');
  if (o.event_format !== undefined) {
    if (o.event_format !== 'client' && o.event_format !== 'federation') {
      throw badJson("event_format must be 'client' or 'federation'");
    }
    f.event_format = o.event_format;
  }
  if (o.presence !== undefined) f.presence = parseEventFilter(o.presence, 'presence');
  if (o.account_data !== undefined) f.account_data = parseEventFilter(o.account_data, 'account_data');
  if (o.room !== undefined) f.room = parseRoomFilter(o.room, 'room');
  return f;
}

// ---- matching ----

/**
 * `*` matches any run of characters (spec: EventFilter.types), anywhere in the
 * pattern. Done by pieces rather than a RegExp so event types never need escaping.
 */
export function matchesWildcard(pattern: string, value: string): boolean {
  // The usual patterns (an exact type, or `*` alone) are decided without splitting.
  if (pattern === '*') return true;
  if (pattern.indexOf('*') < 0) return pattern === value;
  const pieces = pattern.split('*');
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const found = value.indexOf(pieces[i], at);
    if (found < 0 || found + pieces[i].length > end) return false;
    at = found + pieces[i].length;
  }
  return true;
}

function anyWildcard(patterns: string[], value: string): boolean {
  for (const p of patterns) if (matchesWildcard(p, value)) return true;
  return false;
}

/** not_rooms wins over rooms; an absent list does not restrict. */
function roomListsAllow(rooms: string[] | undefined, notRooms: string[] | undefined, roomId: string): boolean {
  if (notRooms?.includes(roomId)) return false;
  return rooms === undefined || rooms.includes(roomId);
}

/**
 * Spec semantics: each not_* list excludes even what its positive list names;
 * an absent list does not restrict, an empty positive list matches nothing.
 * Room lists apply only when the event carries a room_id, so the same call
 * serves presence and account data.
 */
export function matchesEventFilter(f: EventFilter | RoomEventFilter | undefined, ev: FilterableEvent): boolean {
  if (!f) return true;
  if (f.not_types && anyWildcard(f.not_types, ev.type)) return false;
  if (f.types && !anyWildcard(f.types, ev.type)) return false;
  if (f.not_senders?.includes(ev.sender)) return false;
  if (f.senders && !f.senders.includes(ev.sender)) return false;
  const rf = f as RoomEventFilter;
  if (ev.room_id !== undefined && !roomListsAllow(rf.rooms, rf.not_rooms, ev.room_id)) return false;
  if (rf.contains_url !== undefined) {
    const url = (ev.content as Record<string, unknown> | undefined)?.url;
    if (rf.contains_url !== (typeof url === 'string')) return false;
  }
  return true;
}

/** The room-level rooms/not_rooms check, applied before the per-section filters. */
export function roomAllowed(roomFilter: RoomFilter | undefined, roomId: string): boolean {
  if (!roomFilter) return true;
  return roomListsAllow(roomFilter.rooms, roomFilter.not_rooms, roomId);
}

export interface LimitOptions {
  /** Used when the filter sets no limit; without it, no limit. */
  defaultLimit?: number;
  /** Caps what a client may ask for (the spec asks servers to impose one). */
  maxLimit?: number;
  /** Which end to keep: a timeline keeps the newest ('last'). Default 'first'. */
  keep?: 'first' | 'last';
}

export function effectiveLimit(limit: number | undefined, opts: LimitOptions = {}): number {
  const l = limit ?? opts.defaultLimit ?? Infinity;
  return opts.maxLimit === undefined ? l : Math.min(l, opts.maxLimit);
}

/** Cuts `items` to the limit; `limited` says something was left out (sync's `timeline.limited`). */
export function applyLimit<T>(
  items: readonly T[],
  limit: number | undefined,
  opts: LimitOptions = {},
): { items: T[]; limited: boolean } {
  const n = effectiveLimit(limit, opts);
  if (items.length <= n) return { items: [...items], limited: false };
  return { items: opts.keep === 'last' ? items.slice(items.length - n) : items.slice(0, n), limited: true };
}

/**
 * Splits a dot-separated property path (spec appendix): `\.` is a literal dot,
 * `\\` a literal backslash, any other backslash stays as it is.
 */
export function splitPropertyPath(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    const next = path[i + 1];
    if (c === '\\' && (next === '.' || next === '\\')) {
      cur += next;
      i++;
    } else if (c === '.') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/** Plain assignment would treat a `__proto__` key (possible in parsed JSON) as the prototype. */
function setOwn(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * Keeps only the listed fields (Filter.event_fields). An absent or empty list
 * keeps everything: an event with no fields is of no use to any client, and
 * the spec lets a server include more than was asked.
 */
export function filterEventFields<T extends object>(ev: T, fields: string[] | undefined): Partial<T> {
  if (!fields || fields.length === 0) return ev;
  const out: Obj = {};
  for (const field of fields) {
    const keys = splitPropertyPath(field);
    let src: unknown = ev;
    for (const k of keys) {
      src = isObj(src) && Object.hasOwn(src, k) ? src[k] : undefined;
      if (src === undefined) break;
    }
    if (src === undefined) continue;
    let dst = out;
    for (const k of keys.slice(0, -1)) {
      if (!(Object.hasOwn(dst, k) && isObj(dst[k]))) setOwn(dst, k, {});
      dst = dst[k] as Obj;
    }
    // Cloned so a later, deeper path never writes into the caller's event.
    setOwn(dst, keys[keys.length - 1], typeof src === 'object' && src !== null ? structuredClone(src) : src);
  }
  return out as Partial<T>;
}

// ---- presence ----

/** Presence events have type m.presence and the user as sender, so the usual predicate applies. */
export function presenceFilterAllows(filter: EventFilter | undefined, userId: string): boolean {
  return matchesEventFilter(filter, { type: 'm.presence', sender: userId });
}

/** The presence filter's cap on presence events per response; undefined means no cap. */
export function presenceLimit(filter: EventFilter | undefined): number | undefined {
  return filter?.limit;
}
