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
  return 's' + STREAMS.map((s) => String(p[s])).join('_');
}

function parsePosition(part: string): number | null {
  if (!POSITION_RE.test(part)) return null;
  const n = Number(part);
  return Number.isSafeInteger(n) ? n : null;
}

/** Throws 400 M_INVALID_PARAM on anything that is not a token we could have issued. */
export function decodeSyncToken(s: string): StreamPositions {
  if (typeof s !== 'string' || s.length > MAX_TOKEN_LENGTH || s[0] !== 's') throw badSyncToken();
  const parts = s.slice(1).split('_');
  if (parts.length > STREAMS.length) throw badSyncToken();
  const out = zeroPositions();
  parts.forEach((part, i) => {
    const n = parsePosition(part);
    if (n === null) throw badSyncToken();
    out[STREAMS[i]] = n;
  });
  return out;
}

export function maxPositions(a: StreamPositions, b: StreamPositions): StreamPositions {
  const out = zeroPositions();
  for (const s of STREAMS) out[s] = Math.max(a[s], b[s]);
  return out;
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
