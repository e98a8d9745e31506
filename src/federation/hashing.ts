/**
 * Content hashes, redaction, reference hashes and event IDs of room events
 * (server-server API "Signing Events", room version pages "Redactions" and
 * "Event IDs"). Only room version 10 is implemented; the per-version rules live
 * in one table so others can be added.
 *
 * Locally a Pdu carries its `event_id`, but from room version 3 on the ID is not
 * part of the event: it is derived from it. Every hash here therefore ignores a
 * top-level `event_id`.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, Pdu } from '../common/events.js';
import { canonicalJson } from './canonicalJson.js';
import { encodeBase64, encodeBase64Url } from './base64.js';

interface RoomVersionRules {
  /** Top-level keys that survive redaction. */
  redactionKeeps: ReadonlySet<string>;
  /** Per event type, the content keys that survive redaction; other types keep none. */
  redactionKeepsContent: Readonly<Record<string, readonly string[]>>;
}

// Room version 10 reuses room version 9's redaction algorithm.
const V9_REDACTION: RoomVersionRules = {
  redactionKeeps: new Set([
    'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures',
    'depth', 'prev_events', 'prev_state', 'auth_events', 'origin', 'origin_server_ts', 'membership',
  ]),
  redactionKeepsContent: {
    'm.room.member': ['membership', 'join_authorised_via_users_server'],
    'm.room.create': ['creator'],
    'm.room.join_rules': ['join_rule', 'allow'],
    'm.room.power_levels': [
      'ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default',
    ],
    'm.room.history_visibility': ['history_visibility'],
  },
};

const ROOM_VERSIONS: Readonly<Record<string, RoomVersionRules>> = { '10': V9_REDACTION };

export const SUPPORTED_ROOM_VERSIONS: readonly string[] = Object.keys(ROOM_VERSIONS);

function rulesFor(roomVersion: string): RoomVersionRules {
  const rules = Object.hasOwn(ROOM_VERSIONS, roomVersion) ? ROOM_VERSIONS[roomVersion] : undefined;
  if (!rules) throw new Error(`unsupported room version: ${roomVersion}`);
  return rules;
}

/** Unpadded base64 sha256 of the event without `unsigned`, `signatures`, `hashes` (and the local `event_id`). */
export function computeContentHash(event: object): string {
  const { unsigned: _u, signatures: _s, hashes: _h, event_id: _id, ...rest } = event as Record<string, unknown>;
  return encodeBase64(sha256(canonicalJson(rest)));
}

/**
 * The event as it is after a redaction: only the version's essential keys, and
 * only the essential content keys of its type. Returns a deep copy: nothing is
 * shared with `event`. (In v10 `redacts` is not essential: v11 moved it into content.)
 */
export function redactEvent(event: Pdu, roomVersion?: string): Pdu;
export function redactEvent(event: JsonObject, roomVersion?: string): JsonObject;
export function redactEvent(event: object, roomVersion = '10'): object {
  const rules = rulesFor(roomVersion);
  const src = event as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(src)) {
    if (rules.redactionKeeps.has(key)) out[key] = structuredClone(src[key]);
  }
  const content = src.content;
  const type = src.type;
  const keep = typeof type === 'string' && Object.hasOwn(rules.redactionKeepsContent, type)
    ? rules.redactionKeepsContent[type]
    : [];
  const redactedContent: Record<string, unknown> = {};
  if (typeof content === 'object' && content !== null) {
    for (const key of keep) {
      if (Object.hasOwn(content, key)) redactedContent[key] = structuredClone((content as Record<string, unknown>)[key]);
    }
  }
  out.content = redactedContent;
  return out;
}

/**
 * The reference hash (raw sha256 bytes): the redacted event without `signatures`
 * and `unsigned`. It covers `hashes`, so through the content hash it commits to
 * the full content too.
 */
export function computeReferenceHash(event: object, roomVersion = '10'): Buffer {
  const redacted = redactEvent(event as JsonObject, roomVersion);
  const { signatures: _s, unsigned: _u, event_id: _id, ...rest } = redacted;
  return sha256(canonicalJson(rest));
}

/** Room version 4+ event ID: `$` + URL-safe unpadded base64 of the reference hash. */
export function computeEventId(event: object, roomVersion = '10'): string {
  return `$${encodeBase64Url(computeReferenceHash(event, roomVersion))}`;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
