import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { JsonObject } from '../../../src/common/events.js';
import { canonicalJson } from '../../../src/federation/canonicalJson.js';
import { decodeBase64 } from '../../../src/federation/base64.js';
import { signingKeyFromSeed, signJson } from '../../../src/federation/signing.js';
import {
  computeContentHash,
  computeEventId,
  computeReferenceHash,
  redactEvent,
} from '../../../src/federation/hashing.js';

// Spec appendix "Cryptographic Test Vectors", event signing.
const specKey = () => signingKeyFromSeed('ed25519:1', decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1'));
const minimalEvent = (): JsonObject => ({
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
});

const baseEvent = (type: string, content: JsonObject, stateKey?: string): JsonObject => ({
  room_id: '!r:example.org',
  sender: '@alice:example.org',
  type,
  ...(stateKey !== undefined && { state_key: stateKey }),
  content,
  origin_server_ts: 1700000000000,
  depth: 5,
  prev_events: ['$prev'],
  auth_events: ['$create', '$pl'],
  hashes: { sha256: 'abc' },
  signatures: { 'example.org': { 'ed25519:1': 'sig' } },
});

void describe('content hash', () => {
  void test('matches the spec vector for the minimal event', () => {
    assert.equal(computeContentHash(minimalEvent()), '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos');
  });

  void test('ignores unsigned, signatures, hashes and a local event_id', () => {
    const plain = minimalEvent();
    const decorated = {
      ...plain,
      unsigned: { age: 1, transaction_id: 't' },
      signatures: { domain: { 'ed25519:1': 'x' } },
      hashes: { sha256: 'y' },
      event_id: '$local',
    };
    assert.equal(computeContentHash(decorated), computeContentHash(plain));
  });

  void test('changes with content and with other top-level fields', () => {
    const h = computeContentHash(minimalEvent());
    assert.notEqual(computeContentHash({ ...minimalEvent(), content: { body: 'x' } }), h);
    assert.notEqual(computeContentHash({ ...minimalEvent(), depth: 4 }), h);
  });

  void test('spec vector with redactable content (v1-format event carrying event_id on the wire)', () => {
    // This vector predates room v3: its event_id is part of the event, so it is
    // checked with the building blocks instead of the v10 entry points, which
    // drop a local event_id.
    const event: JsonObject = {
      content: { body: 'Here is the message content' },
      event_id: '$0:domain',
      origin: 'domain',
      origin_server_ts: 1000000,
      type: 'm.room.message',
      room_id: '!r:domain',
      sender: '@u:domain',
      signatures: {},
      unsigned: { age_ts: 1000000 },
    };
    const { unsigned: _u, signatures: _s, ...hashed } = event;
    const hash = createHash('sha256').update(canonicalJson(hashed)).digest('base64').replace(/=+$/, '');
    assert.equal(hash, 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g');
    // v10's redaction keeps event_id (as v1 did), drops the body: the signature is over that.
    const redacted = redactEvent({ ...event, hashes: { sha256: hash } });
    assert.deepEqual(redacted.content, {});
    assert.equal(redacted.event_id, '$0:domain');
    assert.deepEqual(signJson(redacted, 'domain', specKey()).signatures, {
      domain: { 'ed25519:1': 'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA' },
    });
  });
});

void describe('redaction, room version 10', () => {
  void test('keeps exactly the essential top-level keys', () => {
    const event = {
      ...baseEvent('m.room.message', { body: 'hi' }),
      event_id: '$e',
      state_key: '',
      origin: 'example.org',
      membership: 'join',
      prev_state: [],
      unsigned: { age: 1 },
      redacts: '$other',
      custom_top_level: 1,
    };
    const redacted = redactEvent(event);
    assert.deepEqual(Object.keys(redacted).sort(), [
      'auth_events', 'content', 'depth', 'event_id', 'hashes', 'membership', 'origin', 'origin_server_ts',
      'prev_events', 'prev_state', 'room_id', 'sender', 'signatures', 'state_key', 'type',
    ]);
    assert.deepEqual(redacted.content, {});
  });

  const contentCases: Array<[string, JsonObject, JsonObject]> = [
    [
      'm.room.member',
      { membership: 'join', join_authorised_via_users_server: '@a:b', displayname: 'A', avatar_url: 'mxc://x/y',
        reason: 'r', third_party_invite: { signed: {} } },
      { membership: 'join', join_authorised_via_users_server: '@a:b' },
    ],
    [
      'm.room.create',
      { creator: '@alice:example.org', room_version: '10', 'm.federate': false, predecessor: { room_id: '!o:x' } },
      { creator: '@alice:example.org' },
    ],
    [
      'm.room.join_rules',
      { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x' }], extra: 1 },
      { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x' }] },
    ],
    [
      'm.room.power_levels',
      { ban: 50, events: { 'm.room.name': 50 }, events_default: 0, kick: 50, redact: 50, state_default: 50,
        users: { '@alice:example.org': 100 }, users_default: 0, invite: 0, notifications: { room: 50 } },
      { ban: 50, events: { 'm.room.name': 50 }, events_default: 0, kick: 50, redact: 50, state_default: 50,
        users: { '@alice:example.org': 100 }, users_default: 0 },
    ],
    ['m.room.history_visibility', { history_visibility: 'shared', other: 1 }, { history_visibility: 'shared' }],
    ['m.room.name', { name: 'Room' }, {}],
    ['m.room.topic', { topic: 'x' }, {}],
    ['m.room.message', { msgtype: 'm.text', body: 'secret' }, {}],
    ['m.room.redaction', { reason: 'spam', redacts: '$x' }, {}],
    ['m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'xx' }, {}],
  ];
  for (const [type, content, expected] of contentCases) {
    void test(`${type} keeps ${Object.keys(expected).join(', ') || 'no content keys'}`, () => {
      assert.deepEqual(redactEvent(baseEvent(type, content, '')).content, expected);
    });
  }

  void test('a kept content key that is absent stays absent', () => {
    assert.deepEqual(redactEvent(baseEvent('m.room.join_rules', { join_rule: 'public' }, '')).content, { join_rule: 'public' });
  });

  void test('drops the top-level redacts of a v10 redaction event', () => {
    const redacted = redactEvent({ ...baseEvent('m.room.redaction', { reason: 'x' }), redacts: '$target' });
    assert.equal('redacts' in redacted, false);
  });

  void test('gives an empty content to an event without one', () => {
    const { content: _c, ...noContent } = baseEvent('m.room.message', {});
    assert.deepEqual(redactEvent(noContent).content, {});
  });

  void test('returns a deep copy', () => {
    const event = baseEvent('m.room.power_levels', { users: { '@a:b': 100 } }, '');
    const redacted = redactEvent(event);
    ((redacted.content as JsonObject).users as Record<string, number>)['@a:b'] = 0;
    (redacted.prev_events as string[]).push('$x');
    assert.deepEqual(event.content, { users: { '@a:b': 100 } });
    assert.deepEqual(event.prev_events, ['$prev']);
  });

  void test('refuses room versions it does not implement', () => {
    assert.throws(() => redactEvent(baseEvent('m.room.message', {}), '11'), /unsupported room version/);
    assert.throws(() => computeEventId(baseEvent('m.room.message', {}), 'toString'), /unsupported room version/);
  });
});

void describe('reference hash and event id', () => {
  const event = () => baseEvent('m.room.message', { msgtype: 'm.text', body: 'hello' });

  void test('the event id is $ + URL-safe unpadded base64 of the reference hash', () => {
    const id = computeEventId(event());
    assert.match(id, /^\$[A-Za-z0-9_-]{43}$/);
    assert.equal(id, `$${computeReferenceHash(event()).toString('base64url')}`);
  });

  void test('the reference hash is sha256 of the redacted event without signatures and unsigned', () => {
    const { signatures: _s, ...rest } = redactEvent(event());
    const expected = createHash('sha256').update(canonicalJson(rest)).digest();
    assert.deepEqual(computeReferenceHash(event()), expected);
  });

  void test('is stable: same event, same id, whatever the key order', () => {
    const reordered = Object.fromEntries(Object.entries(event()).reverse());
    assert.equal(computeEventId(event()), computeEventId(event()));
    assert.equal(computeEventId(reordered), computeEventId(event()));
  });

  void test('ignores unsigned, signatures and a local event_id', () => {
    const id = computeEventId(event());
    assert.equal(computeEventId({ ...event(), unsigned: { age: 5 } }), id);
    assert.equal(computeEventId({ ...event(), signatures: { other: { 'ed25519:z': 'q' } } }), id);
    assert.equal(computeEventId({ ...event(), event_id: id }), id);
    assert.equal(computeEventId({ ...event(), event_id: '$anything' }), id);
  });

  void test('changes when essential fields or the content hash change', () => {
    const id = computeEventId(event());
    assert.notEqual(computeEventId({ ...event(), depth: 6 }), id);
    assert.notEqual(computeEventId({ ...event(), prev_events: ['$other'] }), id);
    assert.notEqual(computeEventId({ ...event(), hashes: { sha256: 'different' } }), id);
  });

  void test('non-essential content only reaches the id through the content hash', () => {
    // The body is redacted away, so with the same hashes the id cannot see it;
    // that is why hashes.sha256 must be the real content hash.
    const id = computeEventId(event());
    assert.equal(computeEventId({ ...event(), content: { body: 'changed' } }), id);
    const withHash = (e: JsonObject) => ({ ...e, hashes: { sha256: computeContentHash(e) } });
    assert.notEqual(
      computeEventId(withHash({ ...event(), content: { body: 'changed' } })),
      computeEventId(withHash(event())),
    );
  });
});
