/** Spec chapters "Room events" (send, state, event/{id}) and "Redactions"; events stored in room version 10 format. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkEvent, loadOrCreateSigningKey } from '../../src/federation/index.js';
import { assertError, assertOk, roomPath, sharedRoom, syncOk, timelineOf, useServer } from '../helpers/integration.js';
import { TestClient } from '../helpers/client.js';

const ctx = useServer();

async function messages(c: TestClient, roomId: string): Promise<any[]> {
  return assertOk(await c.get(`${roomPath(roomId, 'messages')}?dir=b&limit=100`)).chunk;
}

async function loginAgain(u: TestClient): Promise<TestClient> {
  const c = new TestClient(ctx.url);
  const res = assertOk(await c.post('/_matrix/client/v3/login', {
    type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: 'correct horse',
  }, { token: null }));
  Object.assign(c, { userId: res.user_id, deviceId: res.device_id, accessToken: res.access_token });
  return c;
}

describe('room state', () => {
  test('GET state lists the current state; GET state/{type}/{key} returns content, with and without the trailing slash', async () => {
    const u = await ctx.user('st');
    const roomId = await u.createRoom({ name: 'Stateful' });
    const all = assertOk(await u.get(roomPath(roomId, 'state')));
    assert.ok(Array.isArray(all), 'Array.isArray(all)');
    const name = all.find((e: any) => e.type === 'm.room.name');
    assert.equal(name.content.name, 'Stateful');
    assert.equal(name.state_key, '');
    assert.equal(name.room_id, roomId);
    assert.deepEqual(assertOk(await u.get(roomPath(roomId, 'state', 'm.room.name'))), { name: 'Stateful' });
    assert.deepEqual(assertOk(await u.get(`${roomPath(roomId, 'state', 'm.room.name')}/`)), { name: 'Stateful' });
    assertError(await u.get(roomPath(roomId, 'state', 'm.room.topic')), 404, 'M_NOT_FOUND');
  });

  test('PUT state needs the state level: the owner may, a plain member gets 403', async () => {
    const owner = await ctx.user('stowner');
    const member = await ctx.user('stmember');
    const roomId = await sharedRoom(owner, [member]);
    const put = assertOk(await owner.put(roomPath(roomId, 'state', 'org.example.setting', 'k'), { v: 1 }));
    assert.match(put.event_id, /^\$/);
    assert.deepEqual(assertOk(await member.get(roomPath(roomId, 'state', 'org.example.setting', 'k'))), { v: 1 });
    assertError(await member.put(roomPath(roomId, 'state', 'org.example.setting', 'k'), { v: 2 }), 403, 'M_FORBIDDEN');
    assertError(await member.put(roomPath(roomId, 'state', 'm.room.name'), { name: 'hijack' }), 403, 'M_FORBIDDEN');
    assert.deepEqual(assertOk(await member.get(roomPath(roomId, 'state', 'org.example.setting', 'k'))), { v: 1 });
  });

  test('a non-member cannot read the state of a private room', async () => {
    const owner = await ctx.user('stpriv');
    const outsider = await ctx.user('stout');
    const roomId = await owner.createRoom({});
    assertError(await outsider.get(roomPath(roomId, 'state')), 403, 'M_FORBIDDEN');
    assertError(await outsider.get(roomPath(roomId, 'state', 'm.room.create')), 403, 'M_FORBIDDEN');
  });
});

describe('send', () => {
  test('the same txnId from the same device returns the same event and stores it once', async () => {
    const u = await ctx.user('txn');
    const roomId = await u.createRoom({});
    const path = roomPath(roomId, 'send', 'm.room.message', 'txn-1');
    const first = assertOk(await u.put(path, { msgtype: 'm.text', body: 'once' }));
    const again = assertOk(await u.put(path, { msgtype: 'm.text', body: 'once' }));
    assert.equal(again.event_id, first.event_id);
    const other = assertOk(await u.put(roomPath(roomId, 'send', 'm.room.message', 'txn-2'), { msgtype: 'm.text', body: 'once' }));
    assert.notEqual(other.event_id, first.event_id);
    const bodies = (await messages(u, roomId)).filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
    assert.deepEqual(bodies, ['once', 'once']);
  });

  test('the same txnId from another device of the same user is a new event', async () => {
    const u = await ctx.user('txndev');
    const second = await loginAgain(u);
    const roomId = await u.createRoom({});
    const a = assertOk(await u.put(roomPath(roomId, 'send', 'm.room.message', 'shared'), { msgtype: 'm.text', body: 'a' }));
    const b = assertOk(await second.put(roomPath(roomId, 'send', 'm.room.message', 'shared'), { msgtype: 'm.text', body: 'b' }));
    assert.notEqual(a.event_id, b.event_id);
  });

  test('unsigned.transaction_id is echoed only to the sending device', async () => {
    const u = await ctx.user('echo');
    const second = await loginAgain(u);
    const roomId = await u.createRoom({});
    const sent = assertOk(await u.put(roomPath(roomId, 'send', 'm.room.message', 'echo-7'), { msgtype: 'm.text', body: 'e' }));
    const mine = timelineOf(await syncOk(u), roomId).find((e) => e.event_id === sent.event_id);
    assert.equal(mine.unsigned.transaction_id, 'echo-7');
    const theirs = timelineOf(await syncOk(second), roomId).find((e) => e.event_id === sent.event_id);
    assert.equal(theirs.unsigned.transaction_id, undefined);
  });

  test('a non-member cannot send; an unknown room is 403 or 404', async () => {
    const owner = await ctx.user('snd');
    const outsider = await ctx.user('sndout');
    const roomId = await owner.createRoom({ preset: 'public_chat' });
    assertError(await outsider.put(roomPath(roomId, 'send', 'm.room.message', 't'), { msgtype: 'm.text', body: 'x' }), 403, 'M_FORBIDDEN');
    const unknown = await outsider.put(roomPath('!nosuchroom:localhost', 'send', 'm.room.message', 't'), { msgtype: 'm.text', body: 'x' });
    assert.ok(unknown.status === 403 || unknown.status === 404, JSON.stringify(unknown));
  });

  test('events are stored in room version 10 format: reference-hash ID, content hash, server signature', async () => {
    const u = await ctx.user('v10');
    const roomId = await u.createRoom({});
    const { event_id: eventId } = assertOk(await u.put(roomPath(roomId, 'send', 'm.room.message', 'v10'), { msgtype: 'm.text', body: 'signed' }));
    assert.match(eventId, /^\$[A-Za-z0-9_-]{43}$/);
    const stored = await ctx.server.server.storage.rooms.getEvent(eventId);
    assert.ok(stored, 'stored');
    const key = loadOrCreateSigningKey(join(ctx.server.dataDir, 'signing.key'));
    const verdict = checkEvent(stored.pdu, { localhost: { [key.keyId]: key.publicKey } });
    assert.deepEqual(verdict, { ok: true, eventId });
    assert.ok(stored.pdu.prev_events.length === 1 && stored.pdu.auth_events.length >= 3, 'stored.pdu.prev_events.length === 1 && stored.pdu.auth_events.length >= 3');
  });
});

describe('event/{eventId}', () => {
  test('returns the event to members; 404 for an unknown event or another room; hidden from outsiders', async () => {
    const u = await ctx.user('ev');
    const outsider = await ctx.user('evout');
    const roomId = await u.createRoom({});
    const other = await u.createRoom({});
    const eventId = await u.send(roomId, 'fetch me');
    const ev = assertOk(await u.get(roomPath(roomId, 'event', eventId)));
    assert.equal(ev.event_id, eventId);
    assert.equal(ev.room_id, roomId);
    assert.equal(ev.sender, u.userId);
    assert.equal(ev.type, 'm.room.message');
    assert.deepEqual(ev.content, { msgtype: 'm.text', body: 'fetch me' });
    assert.equal(typeof ev.origin_server_ts, 'number');
    assert.equal(ev.hashes, undefined, 'client format, not federation format');
    assertError(await u.get(roomPath(roomId, 'event', '$doesnotexist')), 404, 'M_NOT_FOUND');
    assertError(await u.get(roomPath(other, 'event', eventId)), 404, 'M_NOT_FOUND');
    const hidden = await outsider.get(roomPath(roomId, 'event', eventId));
    assert.ok(hidden.status === 404 || hidden.status === 403, JSON.stringify(hidden));
  });
});

describe('redact', () => {
  test('a sender redacts their own event: content is stripped and redacted_because set', async () => {
    const u = await ctx.user('red');
    const roomId = await u.createRoom({});
    const eventId = await u.send(roomId, 'oops');
    const res = assertOk(await u.put(roomPath(roomId, 'redact', eventId, 'r1'), { reason: 'typo' }));
    assert.match(res.event_id, /^\$/);
    const ev = assertOk(await u.get(roomPath(roomId, 'event', eventId)));
    assert.deepEqual(ev.content, {});
    assert.equal(ev.unsigned.redacted_because.event_id, res.event_id);
    assert.equal(ev.unsigned.redacted_because.content.reason, 'typo');
    const redaction = (await messages(u, roomId)).find((e) => e.event_id === res.event_id);
    assert.equal(redaction.type, 'm.room.redaction');
    assert.equal(redaction.redacts ?? redaction.content.redacts, eventId);
  });

  test('the same redaction txnId is idempotent', async () => {
    const u = await ctx.user('redtxn');
    const roomId = await u.createRoom({});
    const eventId = await u.send(roomId, 'gone');
    const a = assertOk(await u.put(roomPath(roomId, 'redact', eventId, 'same'), {}));
    const b = assertOk(await u.put(roomPath(roomId, 'redact', eventId, 'same'), {}));
    assert.equal(a.event_id, b.event_id);
  });

  test("a plain member cannot redact another's event; a moderator can", async () => {
    const owner = await ctx.user('redowner');
    const member = await ctx.user('redmember');
    const roomId = await sharedRoom(owner, [member]);
    const ownerMsg = await owner.send(roomId, 'mine');
    const memberMsg = await member.send(roomId, 'bad words');
    assertError(await member.put(roomPath(roomId, 'redact', ownerMsg, 'r'), {}), 403, 'M_FORBIDDEN');
    assert.equal(assertOk(await member.get(roomPath(roomId, 'event', ownerMsg))).content.body, 'mine');
    assertOk(await owner.put(roomPath(roomId, 'redact', memberMsg, 'r'), { reason: 'moderation' }));
    assert.deepEqual(assertOk(await member.get(roomPath(roomId, 'event', memberMsg))).content, {});
  });

  test('redacting an unknown event is 404', async () => {
    const u = await ctx.user('red404');
    const roomId = await u.createRoom({});
    assertError(await u.put(roomPath(roomId, 'redact', '$nope', 'r'), {}), 404, 'M_NOT_FOUND');
  });
});
