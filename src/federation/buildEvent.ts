/**
 * Turning an event proto into a hashed, signed room version 10 PDU, and the
 * matching checks (server-server API "Signing Events" and "Checks performed on
 * receipt of a PDU", steps for signatures and hashes).
 */
import type { EventProto, JsonObject, Pdu } from '../common/events.js';
import { withProps } from '../common/objects.js';
import { serverNameOf } from '../common/ids.js';
import { computeContentHash, computeEventId, redactEvent } from './hashing.js';
import { signJson, verifyJsonSignature, type SigningKey } from './signing.js';

/** Public keys by server name, then by key ID (`ed25519:…`), unpadded base64. */
export type PublicKeys = Readonly<Record<string, Readonly<Record<string, string>>>>;

export type CheckResult =
  | { ok: true; eventId: string }
  | { ok: false; failure: 'signature' | 'content_hash' | 'event_id'; message: string };

export function buildEvent(proto: EventProto, serverName: string, key: SigningKey): Pdu {
  // Only the known fields: a stray field in the proto would otherwise end up
  // hashed and signed forever.
  const event: Pdu = {
    room_id: proto.room_id,
    sender: proto.sender,
    type: proto.type,
    ...(proto.state_key !== undefined && { state_key: proto.state_key }),
    content: structuredClone(proto.content),
    origin_server_ts: proto.origin_server_ts,
    depth: proto.depth,
    prev_events: [...proto.prev_events],
    auth_events: [...proto.auth_events],
    ...(proto.redacts !== undefined && { redacts: proto.redacts }),
    hashes: { sha256: '' },
    signatures: {},
  };
  const signed = hashAndSignEvent(event, serverName, key);
  return withProps(signed, { event_id: computeEventId(signed) });
}

/**
 * Adds `hashes.sha256` and this server's signature to a federation-format event
 * (spec "Adding hashes and signatures to outgoing events"): the content hash
 * covers the full event, the signature covers its redacted form, so it stays
 * checkable after a redaction. A local `event_id` is neither hashed nor signed.
 */
export function hashAndSignEvent<T extends object>(event: T, serverName: string, key: SigningKey): T {
  const src = event as Record<string, unknown>;
  const hashes = { ...(src.hashes as Record<string, string> | undefined), sha256: computeContentHash(event) };
  const withHash = { ...src, hashes };
  const { event_id: _id, ...wire } = redactEvent(withHash as JsonObject);
  const { signatures } = signJson(wire, serverName, key);
  return { ...withHash, signatures } as T;
}

/**
 * Verifies a PDU: signed by its sender's server (every signature of that server
 * whose key is known must verify, and there must be at least one), content hash
 * matching, and, when it carries one, the right `event_id`. Signatures come
 * first because the spec treats the failures differently: a bad signature
 * rejects the event, a bad content hash only means "redact it".
 */
export function checkEvent(pdu: Pdu, publicKeys: PublicKeys): CheckResult {
  const origin = serverNameOf(pdu.sender);
  const { event_id: _id, ...wire } = redactEvent(pdu);
  const keys = Object.hasOwn(publicKeys, origin) ? publicKeys[origin] : {};
  const keyIds = Object.keys(pdu.signatures?.[origin] ?? {}).filter(
    (id) => id.startsWith('ed25519:') && Object.hasOwn(keys, id),
  );
  if (keyIds.length === 0) {
    return { ok: false, failure: 'signature', message: `no signature from ${origin} with a known key` };
  }
  for (const keyId of keyIds) {
    if (!verifyJsonSignature(wire, origin, keyId, keys[keyId])) {
      return { ok: false, failure: 'signature', message: `bad signature from ${origin} (${keyId})` };
    }
  }
  if (pdu.hashes?.sha256 !== computeContentHash(pdu)) {
    return { ok: false, failure: 'content_hash', message: 'content hash does not match' };
  }
  const eventId = computeEventId(pdu);
  if (pdu.event_id !== undefined && pdu.event_id !== eventId) {
    return { ok: false, failure: 'event_id', message: `event_id is ${pdu.event_id}, computed ${eventId}` };
  }
  return { ok: true, eventId };
}
