import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventProto, Pdu } from '../../../src/common/events.js';
import {
  buildEvent,
  checkEvent,
  computeContentHash,
  computeEventId,
  decodeBase64,
  hashAndSignEvent,
  redactEvent,
  signingKeyFromSeed,
  generateSigningKey,
  verifyJsonSignature,
  type PublicKeys,
} from '../../../src/federation/index.js';
import { hiddenClassCount } from '../../helpers/hiddenClass.js';

// Spec appendix "Cryptographic Test Vectors".
const key = signingKeyFromSeed('ed25519:1', decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1'));
const keys: PublicKeys = { 'example.org': { [key.keyId]: key.publicKey } };

const memberProto = (): EventProto => ({
  room_id: '!r:example.org',
  sender: '@alice:example.org',
  type: 'm.room.member',
  state_key: '@alice:example.org',
  content: { membership: 'join', displayname: 'Alice' },
  origin_server_ts: 1700000000000,
  depth: 2,
  prev_events: ['$create'],
  auth_events: ['$create'],
});

void describe('hashAndSignEvent', () => {
  void test('reproduces the spec vector for the minimal event', () => {
    const event = {
      room_id: '!x:domain',
      sender: '@a:domain',
      origin: 'domain',
      origin_server_ts: 1000000,
      signatures: {},
      hashes: {},
      type: 'X',
      content: {},
      prev_events: [],
      auth_events: [],
      depth: 3,
      unsigned: { age_ts: 1000000 },
    };
    assert.deepEqual(hashAndSignEvent(event, 'domain', key), {
      auth_events: [],
      content: {},
      depth: 3,
      hashes: { sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' },
      origin: 'domain',
      origin_server_ts: 1000000,
      prev_events: [],
      room_id: '!x:domain',
      sender: '@a:domain',
      signatures: {
        domain: { 'ed25519:1': 'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg' },
      },
      type: 'X',
      unsigned: { age_ts: 1000000 },
    });
  });
});

void describe('buildEvent', () => {
  void test('events of one shape share one hidden class, and so do their signatures', () => {
    // Room state keeps every built event in memory: a class per event costs more than the event.
    const built = Array.from({ length: 200 }, (_, i) => buildEvent({ ...memberProto(), depth: i + 2, origin_server_ts: 1700000000000 + i }, 'example.org', key));
    assert.equal(new Set(built.map((e) => e.event_id)).size, 200);
    assert.equal(hiddenClassCount(built), 1);
    assert.equal(hiddenClassCount(built.map((e) => e.signatures)), 1);
    assert.equal(hiddenClassCount(built.map((e) => e.signatures['example.org'])), 1);
  });

  void test('adds the content hash, a signature over the redacted form, and the event id', () => {
    const pdu = buildEvent(memberProto(), 'example.org', key);
    assert.equal(pdu.hashes.sha256, computeContentHash(pdu));
    assert.equal(pdu.event_id, computeEventId(pdu));
    const { event_id: _id, ...wire } = redactEvent(pdu);
    assert.equal(verifyJsonSignature(wire, 'example.org', key.keyId, key.publicKey), true);
    // Not over the full event: the displayname is outside the signature.
    const { event_id: _id2, ...full } = pdu;
    assert.equal(verifyJsonSignature(full, 'example.org', key.keyId, key.publicKey), false);
    assert.deepEqual(Object.keys(pdu.signatures), ['example.org']);
  });

  void test('is deterministic and its output is pinned (stored events depend on it)', () => {
    const a = buildEvent(memberProto(), 'example.org', key);
    const b = buildEvent(memberProto(), 'example.org', key);
    assert.deepEqual(a, b);
    // Regression pin: if these change, every stored event id and signature would.
    // Cross-checked outside this code base with Python's json.dumps (the spec's
    // reference canonical JSON), hashlib and the `cryptography` ed25519 signer.
    assert.equal(a.hashes.sha256, 'I1YWtQZlzdCxri2TJcpagVq+g7SrG++hbAAqN6Lvv5M');
    assert.equal(a.event_id, '$mfTyBMIdZfK6x6gaL1eMwGixr7E398UuXBd9cgI8UeI');
    assert.deepEqual(a.signatures, {
      'example.org': { 'ed25519:1': 'q6Cgqw53rBQ6llyRQVwyykMszxj9TcYLnNGd/NxOKwZ7S7X8eJ+/Rb3ktt9VMC4kpH7rPoc3X2InGYxA2tnkCQ' },
    });
  });

  void test('copies only the known proto fields and leaves optional ones out when absent', () => {
    const proto = { ...memberProto(), state_key: undefined, unsigned: { x: 1 }, event_id: '$bogus', junk: 1 };
    const pdu = buildEvent(proto as EventProto, 'example.org', key);
    assert.deepEqual(Object.keys(pdu).sort(), [
      'auth_events', 'content', 'depth', 'event_id', 'hashes', 'origin_server_ts', 'prev_events', 'room_id',
      'sender', 'signatures', 'type',
    ]);
    assert.notEqual(pdu.event_id, '$bogus');
  });

  void test('keeps redacts on a redaction event (hashed, but not signed in v10)', () => {
    const proto: EventProto = { ...memberProto(), type: 'm.room.redaction', state_key: undefined, redacts: '$target', content: {} };
    const pdu = buildEvent(proto, 'example.org', key);
    assert.equal(pdu.redacts, '$target');
    assert.notEqual(pdu.hashes.sha256, computeContentHash({ ...pdu, redacts: undefined }));
  });

  void test('does not share content with the proto', () => {
    const proto = memberProto();
    const pdu = buildEvent(proto, 'example.org', key);
    proto.content.displayname = 'Mallory';
    proto.prev_events.push('$x');
    assert.equal(pdu.content.displayname, 'Alice');
    assert.deepEqual(pdu.prev_events, ['$create']);
  });

  void test('different content gives a different event id, unsigned does not', () => {
    const pdu = buildEvent(memberProto(), 'example.org', key);
    const other = buildEvent({ ...memberProto(), content: { membership: 'join', displayname: 'Alicia' } }, 'example.org', key);
    assert.notEqual(other.event_id, pdu.event_id);
    assert.equal(computeEventId({ ...pdu, unsigned: { age: 10 } }), pdu.event_id);
  });
});

void describe('checkEvent', () => {
  const built = () => buildEvent(memberProto(), 'example.org', key);

  void test('accepts a built event and returns its id, with or without a local event_id', () => {
    const pdu = built();
    assert.deepEqual(checkEvent(pdu, keys), { ok: true, eventId: pdu.event_id });
    const { event_id: _id, ...wire } = pdu;
    assert.deepEqual(checkEvent(wire, keys), { ok: true, eventId: pdu.event_id });
    assert.equal(checkEvent({ ...pdu, unsigned: { age: 3 } }, keys).ok, true);
  });

  void test('a change to redactable content fails the content hash, not the signature', () => {
    const result = checkEvent({ ...built(), content: { membership: 'join', displayname: 'Mallory' } }, keys);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.failure, 'content_hash');
  });

  void test('a change to essential fields fails the signature', () => {
    const pdu = built();
    const tampered: Pdu = { ...pdu, content: { ...pdu.content, membership: 'leave' } };
    assert.equal(failureOf(checkEvent(tampered, keys)), 'signature');
    assert.equal(failureOf(checkEvent({ ...pdu, depth: 99 }, keys)), 'signature');
  });

  void test('a wrong local event_id fails the event id check', () => {
    assert.equal(failureOf(checkEvent({ ...built(), event_id: '$wrong' }, keys)), 'event_id');
  });

  void test("needs a signature from the sender's server by a known key", () => {
    const pdu = built();
    assert.equal(failureOf(checkEvent(pdu, {})), 'signature');
    assert.equal(failureOf(checkEvent(pdu, { 'example.org': { 'ed25519:other': key.publicKey } })), 'signature');
    // Signed by another server only.
    const stranger = generateSigningKey();
    const foreign = buildEvent(memberProto(), 'evil.org', stranger);
    assert.equal(failureOf(checkEvent(foreign, { ...keys, 'evil.org': { [stranger.keyId]: stranger.publicKey } })), 'signature');
  });

  void test('a known key whose signature does not verify fails even if another verifies', () => {
    const pdu = built();
    const rotated = generateSigningKey();
    const bothKeys: PublicKeys = { 'example.org': { [key.keyId]: key.publicKey, [rotated.keyId]: rotated.publicKey } };
    const badSecond: Pdu = {
      ...pdu,
      signatures: { 'example.org': { ...pdu.signatures['example.org'], [rotated.keyId]: pdu.signatures['example.org'][key.keyId] } },
    };
    assert.equal(failureOf(checkEvent(badSecond, bothKeys)), 'signature');
    const twoGood = hashAndSignEvent(pdu, 'example.org', rotated);
    assert.equal(checkEvent(twoGood, bothKeys).ok, true);
  });
});

function failureOf(result: ReturnType<typeof checkEvent>): string | undefined {
  return result.ok ? undefined : result.failure;
}
