/**
 * Sync and pagination tokens. A sync token is one integer position per stream,
 * written `s<rooms>_<presence>_…` so it stays short and URL-safe. Streams are
 * only ever appended to STREAMS: a token from an older version, with fewer
 * positions, then still decodes (the missing streams read as 0).
 */
import { invalidParam, type MatrixError } from '../common/errors.js';

export const STREAMS = [
  'rooms',
  'presence',
  'typing',
  'receipts',
  'accountData',
  'toDevice',
  'deviceLists',
] as const;

export type StreamName = (typeof STREAMS)[number];
export type StreamPositions = Record<StreamName, number>;

/** Generous for 7 safe integers; anything longer is not ours. */
const MAX_TOKEN_LENGTH = 200;
/** Canonical decimal: no sign, no leading zeros, no exponent. */
const POSITION_RE = /^(0|[1-9][0-9]*)$/;

const badSyncToken = (): MatrixError => invalidParam('Invalid sync token');
const badRoomToken = (): MatrixError => invalidParam('Invalid pagination token');

// A literal rather than built from STREAMS: it is made for every /sync. The type keeps the two in step.
export function zeroPositions(): StreamPositions {
  return { rooms: 0, presence: 0, typing: 0, receipts: 0, accountData: 0, toDevice: 0, deviceLists: 0 };
}

export function encodeSyncToken(p: StreamPositions): string {
  // Concatenation rather than map/join: one is made for every /sync answer.
  return `s${p.rooms}_${p.presence}_${p.typing}_${p.receipts}_${p.accountData}_${p.toDevice}_${p.deviceLists}`;
}

function parsePosition(part: string): number | null {
  if (!POSITION_RE.test(part)) return null;
  const n = Number(part);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Throws 400 M_INVALID_PARAM on anything that is not a token we could have issued.
 * One pass over the characters, since every /sync decodes one: each position is
 * canonical decimal (no sign, no leading zero, no exponent) and a safe integer.
 */
export function decodeSyncToken(s: string): StreamPositions {
  if (typeof s !== 'string' || s.length > MAX_TOKEN_LENGTH || s.charCodeAt(0) !== 0x73) throw badSyncToken();
  const out = zeroPositions();
  let stream = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 1; i <= s.length; i++) {
    const c = i === s.length ? 0x5f : s.charCodeAt(i);
    if (c === 0x5f) {
      if (digits === 0 || stream >= STREAMS.length || !Number.isSafeInteger(value)) throw badSyncToken();
      out[STREAMS[stream++]] = value;
      value = 0;
      digits = 0;
      leadingZero = false;
    } else if (c >= 0x30 && c <= 0x39) {
      if (leadingZero) throw badSyncToken();
      if (digits === 0 && c === 0x30) leadingZero = true;
      value = value * 10 + (c - 0x30);
      digits++;
    } else throw badSyncToken();
  }
  return out;
}

/** Raises each of `to`'s positions to at least `floor`'s, in place (written out: it runs for every /sync). */
export function raisePositions(to: StreamPositions, floor: StreamPositions): void {
  if (floor.rooms > to.rooms) to.rooms = floor.rooms;
  if (floor.presence > to.presence) to.presence = floor.presence;
  if (floor.typing > to.typing) to.typing = floor.typing;
  if (floor.receipts > to.receipts) to.receipts = floor.receipts;
  if (floor.accountData > to.accountData) to.accountData = floor.accountData;
  if (floor.toDevice > to.toDevice) to.toDevice = floor.toDevice;
  if (floor.deviceLists > to.deviceLists) to.deviceLists = floor.deviceLists;
}

/** True when `a` is ahead of `b` on at least one stream: there is something new to send. */
export function positionsAfter(a: StreamPositions, b: StreamPositions): boolean {
  return STREAMS.some((s) => a[s] > b[s]);
}

/** A position in one room's timeline: stream order, plus depth when known (from /messages). */
export interface RoomToken {
  stream: number;
  topological?: number;
}

/** `t<topological>-<stream>` when the depth is known, else `s<stream>`. */
export function encodeRoomToken(t: RoomToken): string {
  return t.topological === undefined ? `s${t.stream}` : `t${t.topological}-${t.stream}`;
}

/**
 * Accepts both room tokens and sync tokens, because clients pass a sync
 * response's `next_batch` / `prev_batch` straight to /messages `from`.
 * `s12` reads the same either way (rooms position 12).
 */
export function decodeRoomToken(s: string): RoomToken {
  if (typeof s !== 'string' || s.length > MAX_TOKEN_LENGTH) throw badRoomToken();
  if (s[0] === 't') {
    const parts = s.slice(1).split('-');
    if (parts.length !== 2) throw badRoomToken();
    const topological = parsePosition(parts[0]);
    const stream = parsePosition(parts[1]);
    if (topological === null || stream === null) throw badRoomToken();
    return { stream, topological };
  }
  if (s[0] === 's') {
    try {
      return { stream: decodeSyncToken(s).rooms };
    } catch {
      throw badRoomToken();
    }
  }
  throw badRoomToken();
}
