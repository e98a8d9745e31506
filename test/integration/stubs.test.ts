/**
 * Endpoints clients call at start-up for features not built yet answer the spec's shape
 * with empty content; and the r0 prefix still works for clients that use it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { V3, assertError, assertOk, enc, useServer } from '../helpers/integration.js';
import { TestClient } from '../helpers/client.js';

const ctx = useServer();
const R0 = '/_matrix/client/r0';
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

describe('not-yet-built endpoints answer the spec\'s shape', () => {
  test('keys/upload returns one_time_key_counts', async () => {
    const u = await ctx.user('ku');
    const body = assertOk(await u.post(`${V3}/keys/upload`, {
      device_keys: { user_id: u.userId, device_id: u.deviceId, algorithms: ['m.olm.v1.curve25519-aes-sha2'], keys: {}, signatures: {} },
      one_time_keys: {},
    }));
    assert.ok(isObject(body.one_time_key_counts), JSON.stringify(body));
  });

  test('keys/query returns device_keys and failures objects', async () => {
    const u = await ctx.user('kq');
    const body = assertOk(await u.post(`${V3}/keys/query`, { device_keys: { [u.userId]: [] } }));
    assert.ok(isObject(body.device_keys), JSON.stringify(body));
    assert.ok(isObject(body.failures), JSON.stringify(body));
  });

  test('keys/claim and keys/changes answer with empty content', async () => {
    const u = await ctx.user('kc');
    const claim = assertOk(await u.post(`${V3}/keys/claim`, { one_time_keys: {} }));
    assert.ok(isObject(claim.one_time_keys) && isObject(claim.failures), JSON.stringify(claim));
    const changes = assertOk(await u.get(`${V3}/keys/changes?from=s0&to=s1`));
    assert.deepEqual(changes, { changed: [], left: [] });
  });

  test('voip/turnServer and thirdparty/protocols answer 200 with an object', async () => {
    const u = await ctx.user('turn');
    const turn = assertOk(await u.get(`${V3}/voip/turnServer`));
    assert.ok(isObject(turn), JSON.stringify(turn));
    if ('uris' in turn) assert.ok(Array.isArray(turn.uris), 'uris is a list');
    assert.ok(isObject(assertOk(await u.get(`${V3}/thirdparty/protocols`))), 'protocols is an object');
  });

  test('pushers and notifications answer empty lists; room_keys/version says no backup', async () => {
    const u = await ctx.user('push');
    assert.deepEqual(assertOk(await u.get(`${V3}/pushers`)), { pushers: [] });
    assert.deepEqual(assertOk(await u.get(`${V3}/notifications`)).notifications, []);
    assertError(await u.get(`${V3}/room_keys/version`), 404, 'M_NOT_FOUND');
  });

  test('they still require a token', async () => {
    const c = new TestClient(ctx.url);
    assertError(await c.post(`${V3}/keys/upload`, {}, { token: null }), 401, 'M_MISSING_TOKEN');
    assertError(await c.get(`${V3}/voip/turnServer`, { token: null }), 401, 'M_MISSING_TOKEN');
  });
});

describe('r0 alias', () => {
  test('login, whoami, createRoom, send, sync and profile work under /_matrix/client/r0', async () => {
    const u = await ctx.user('r0');
    const c = new TestClient(ctx.url);
    const login = assertOk(await c.post(`${R0}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: 'correct horse',
    }, { token: null }));
    c.accessToken = login.access_token;
    assert.equal(assertOk(await c.get(`${R0}/account/whoami`)).user_id, u.userId);
    const roomId = assertOk(await c.post(`${R0}/createRoom`, { name: 'old client' })).room_id;
    const sent = assertOk(await c.put(`${R0}/rooms/${enc(roomId)}/send/m.room.message/r0txn`, { msgtype: 'm.text', body: 'from r0' }));
    const sync = assertOk(await c.get(`${R0}/sync`));
    assert.ok(sync.rooms.join[roomId].timeline.events.some((e: any) => e.event_id === sent.event_id), 'r0 sync sees the event');
    assertOk(await c.put(`${R0}/profile/${enc(u.userId)}/displayname`, { displayname: 'R Zero' }));
    assert.deepEqual(assertOk(await u.get(`${V3}/profile/${enc(u.userId)}/displayname`)), { displayname: 'R Zero' });
    assertError(await c.get(`${R0}/no/such/thing`), 404, 'M_UNRECOGNIZED');
  });
});
