/**
 * Issue 7 item 6 (first half): authentication on every endpoint, and authorization —
 * nobody changes another user's presence or profile, reads another user's filters,
 * account data or devices, or acts beyond the room auth rules.
 *
 * The endpoint list comes from the running app (printRoutes), so a new authenticated
 * route is covered without editing this file; only the deliberately public ones are listed.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouteTree } from '../helpers/routes.js';
import { TestClient, type Reply } from '../helpers/client.js';
import { V3, assertError, assertOk, enc, roomPath, sharedRoom, stateEvent, uniqueName, useServer } from '../helpers/integration.js';

const ctx = useServer();
const UNSTABLE = '/_matrix/client/unstable/org.presenced';

/** Endpoints the spec lets anyone call (after the /_matrix/client/{v3,r0} prefix). */
const PUBLIC = new Set([
  'GET /login', 'POST /login', 'POST /register', 'GET /register/available', 'GET /profile/:userId', 'GET /profile/:userId/:field',
  'GET /directory/room/:roomAlias', 'GET /directory/list/room/:roomId', 'GET /publicRooms',
]);

/** A well-formed body per endpoint, so the request fails on the token and nothing else. */
const BODIES: Record<string, unknown> = {
  'POST /rooms/:roomId/invite': { user_id: '@someone:localhost' },
  'POST /rooms/:roomId/kick': { user_id: '@someone:localhost' },
  'POST /rooms/:roomId/ban': { user_id: '@someone:localhost' },
  'POST /rooms/:roomId/unban': { user_id: '@someone:localhost' },
  'PUT /rooms/:roomId/send/:eventType/:txnId': { msgtype: 'm.text', body: 'x' },
  'PUT /rooms/:roomId/typing/:userId': { typing: false },
  'POST /account/password': { new_password: 'new password' },
  'POST /delete_devices': { devices: [] },
  'PUT /directory/room/:roomAlias': { room_id: '!x:localhost' },
  'PUT /directory/list/room/:roomId': { visibility: 'private' },
  'PUT /profile/:userId/:field': { displayname: 'x' },
  'PUT /presence/:userId/status': { presence: 'online' },
  'PUT /pushrules/:scope/:kind/:ruleId': { actions: [] },
  'PUT /pushrules/:scope/:kind/:ruleId/:attr': { enabled: true },
  'POST /user_directory/search': { search_term: 'a' },
  'PUT /sendToDevice/:eventType/:txnId': { messages: {} },
  [`PUT ${UNSTABLE}/presence/device`]: { state: 'online' },
  [`PUT ${UNSTABLE}/presence/appear_offline`]: { appear_offline: false },
};

/** Required query parameters, for the same reason. */
const QUERIES: Record<string, string> = { 'GET /rooms/:roomId/messages': '?dir=b' };

const PARAMS: Record<string, (ids: Ids) => string> = {
  roomId: (i) => i.roomId, roomIdOrAlias: (i) => i.roomId, roomAlias: () => `#${uniqueName('al')}:localhost`, userId: (i) => i.userId,
  eventId: (i) => i.eventId, eventType: () => 'm.room.topic', stateKey: () => '', txnId: () => uniqueName('t'), deviceId: (i) => i.deviceId,
  type: () => 'org.example', filterId: () => '0', field: () => 'displayname', scope: () => 'global', kind: () => 'override',
  ruleId: () => 'rule', attr: () => 'enabled', receiptType: () => 'm.read',
};

interface Ids { roomId: string; userId: string; eventId: string; deviceId: string }

/** Every authenticated endpoint of the app, once per method, with parameters filled in. */
function authenticatedEndpoints(ids: Ids): { method: string; key: string; path: string; body: unknown }[] {
  const routes = parseRouteTree(ctx.server.server.app.printRoutes({ commonPrefix: false }));
  const out: { method: string; key: string; path: string; body: unknown }[] = [];
  for (const r of routes) {
    let rel: string;
    if (r.path.startsWith('/_matrix/client/v3/')) rel = r.path.slice('/_matrix/client/v3'.length);
    else if (r.path.startsWith('/_matrix/client/r0/')) rel = r.path.slice('/_matrix/client/r0'.length);
    else if (r.path.startsWith(UNSTABLE)) rel = r.path;
    else continue;
    for (const method of r.methods) {
      if (method === 'HEAD') continue;
      const key = `${method} ${rel}`;
      if (PUBLIC.has(key)) continue;
      const path = r.path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
        const f = PARAMS[name];
        assert.ok(f, `no value for path parameter :${name} of ${key}`);
        return enc(f(ids));
      });
      out.push({ method, key, path: path + (QUERIES[key] ?? ''), body: method === 'GET' || method === 'DELETE' ? undefined : (BODIES[key] ?? {}) });
    }
  }
  return out;
}

async function loginAgain(u: TestClient): Promise<TestClient> {
  const c = new TestClient(ctx.url);
  const res = assertOk(await c.post(`${V3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: 'correct horse' }, { token: null }));
  c.userId = res.user_id;
  c.deviceId = res.device_id;
  c.accessToken = res.access_token;
  return c;
}

describe('authentication on every endpoint', () => {
  let owner: TestClient;
  let ids: Ids;
  before(async () => {
    owner = await ctx.user('authown');
    const roomId = await owner.createRoom({});
    ids = { roomId, userId: owner.userId, eventId: await owner.send(roomId, 'hi'), deviceId: owner.deviceId };
  });

  test('the route list covers the whole Client-Server API', () => {
    const eps = authenticatedEndpoints(ids);
    assert.ok(eps.length >= 100, `only ${eps.length} authenticated endpoints found`);
    for (const k of ['GET /sync', 'PUT /presence/:userId/status', 'PUT /rooms/:roomId/send/:eventType/:txnId', `GET ${UNSTABLE}/presence`]) {
      assert.ok(eps.some((e) => e.key === k), `${k} missing`);
    }
  });

  test('a missing token is 401 M_MISSING_TOKEN everywhere', async () => {
    const anon = new TestClient(ctx.url);
    for (const e of authenticatedEndpoints(ids)) {
      const res = await anon.request(e.method, e.path, e.body, { token: null });
      assertError(res, 401, 'M_MISSING_TOKEN');
    }
  });

  test('an unknown token, in the header or the query string, is 401 M_UNKNOWN_TOKEN everywhere', async () => {
    const anon = new TestClient(ctx.url);
    for (const e of authenticatedEndpoints(ids)) {
      assertError(await anon.request(e.method, e.path, e.body, { token: `syt_${uniqueName('bogus')}` }), 401, 'M_UNKNOWN_TOKEN');
      const sep = e.path.includes('?') ? '&' : '?';
      assertError(await anon.request(e.method, `${e.path}${sep}access_token=bogus_${uniqueName('q')}`, e.body, { token: null }), 401, 'M_UNKNOWN_TOKEN');
    }
  });

  test('a logged-out token (logout, logout/all, deleted device, deactivated account) is 401 M_UNKNOWN_TOKEN everywhere', async () => {
    const dead: string[] = [];
    const a = await loginAgain(owner);
    assertOk(await a.post(`${V3}/logout`, {}));
    dead.push(a.accessToken);

    const other = await ctx.user('authall');
    const b = await loginAgain(other);
    assertOk(await other.post(`${V3}/logout/all`, {}));
    dead.push(other.accessToken, b.accessToken);

    const c = await loginAgain(owner);
    const del = await owner.delete(`${V3}/devices/${enc(c.deviceId)}`, { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: owner.userId }, password: 'correct horse' } });
    assertOk(del, 'delete device');
    dead.push(c.accessToken);

    const gone = await ctx.user('authdeact');
    assertOk(await gone.post(`${V3}/account/deactivate`, { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: gone.userId }, password: 'correct horse' } }));
    dead.push(gone.accessToken);

    const anon = new TestClient(ctx.url);
    for (const token of dead) {
      for (const e of authenticatedEndpoints(ids)) assertError(await anon.request(e.method, e.path, e.body, { token }), 401, 'M_UNKNOWN_TOKEN');
    }
    // The owner's own session survived all of that.
    assertOk(await owner.get(`${V3}/account/whoami`));
  });
});

describe('the token is checked before the request is read', () => {
  test('a missing or unknown token is 401 even when the body or query is bad as well', async () => {
    const anon = new TestClient(ctx.url);
    assertError(await anon.request('POST', `${V3}/createRoom`, undefined, { raw: '{"name":5}', token: null }), 401, 'M_MISSING_TOKEN');
    assertError(await anon.request('POST', `${V3}/createRoom`, undefined, { raw: '{not json', token: null }), 401, 'M_MISSING_TOKEN');
    assertError(await anon.request('GET', `${V3}/rooms/${enc('!x:localhost')}/messages`, undefined, { token: null }), 401, 'M_MISSING_TOKEN');
    assertError(await anon.request('PUT', `${V3}/presence/${enc('@a:localhost')}/status`, undefined, { raw: '[]', token: 'nope' }), 401, 'M_UNKNOWN_TOKEN');
    assertError(await anon.request('GET', '/_matrix/client/unstable/org.presenced/presence', undefined, { token: null }), 401, 'M_MISSING_TOKEN');
  });

  test('public endpoints still answer without a token, and still refuse a bad body with 400', async () => {
    const anon = new TestClient(ctx.url);
    assertError(await anon.request('POST', `${V3}/login`, undefined, { raw: '{not json', token: null }), 400, 'M_NOT_JSON');
    assertOk(await anon.request('GET', `${V3}/login`, undefined, { token: null }));
    assertOk(await anon.request('GET', `${V3}/register/available?username=${uniqueName('free')}`, undefined, { token: null }));
  });
});

describe("nobody changes another user's presence or profile", () => {
  test('PUT presence of someone else is 403 and changes nothing; the unstable APIs act on the caller only', async () => {
    const a = await ctx.user('pa');
    const b = await ctx.user('pb');
    await sharedRoom(a, [b]);
    assertOk(await b.put(`${V3}/presence/${enc(b.userId)}/status`, { presence: 'unavailable', status_msg: 'mine' }));
    for (const target of [b.userId, b.userId.toUpperCase(), `${b.userId} `, b.userId.replace('@', '@@')]) {
      const res = await a.put(`${V3}/presence/${enc(target)}/status`, { presence: 'online', status_msg: 'hijacked' });
      assert.ok(res.status === 403 || res.status === 400, `${target}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    // r0 alias too.
    assertError(await a.put(`/_matrix/client/r0/presence/${enc(b.userId)}/status`, { presence: 'online' }), 403, 'M_FORBIDDEN');
    assertOk(await a.put(`${UNSTABLE}/presence/appear_offline`, { appear_offline: true }));
    assertOk(await a.put(`${UNSTABLE}/presence/device`, { state: 'offline' }));
    const seen = assertOk(await a.get(`${V3}/presence/${enc(b.userId)}/status`));
    assert.equal(seen.presence, 'unavailable');
    assert.equal(seen.status_msg, 'mine');
    const own = assertOk(await b.get(`${UNSTABLE}/presence`));
    assert.equal(own.appear_offline, false, "a's appear_offline did not touch b");
  });

  test('PUT profile of someone else is 403 and changes nothing, and the member events stay', async () => {
    const a = await ctx.user('fa');
    const b = await ctx.user('fb');
    const roomId = await sharedRoom(a, [b]);
    assertOk(await b.put(`${V3}/profile/${enc(b.userId)}/displayname`, { displayname: 'Bee' }));
    assertError(await a.put(`${V3}/profile/${enc(b.userId)}/displayname`, { displayname: 'pwned' }), 403, 'M_FORBIDDEN');
    assertError(await a.put(`${V3}/profile/${enc(b.userId)}/avatar_url`, { avatar_url: 'mxc://evil/x' }), 403, 'M_FORBIDDEN');
    assertError(await a.put(`/_matrix/client/r0/profile/${enc(b.userId)}/displayname`, { displayname: 'pwned' }), 403, 'M_FORBIDDEN');
    const p = assertOk(await a.get(`${V3}/profile/${enc(b.userId)}`));
    assert.equal(p.displayname, 'Bee');
    assert.equal(p.avatar_url, undefined);
    assert.equal((await stateEvent(a, roomId, 'm.room.member', b.userId)).content.displayname, 'Bee');
    // Nor by writing b's member event directly.
    const forged = await a.put(roomPath(roomId, 'state', 'm.room.member', b.userId), { membership: 'join', displayname: 'forged' });
    assertError(forged, 403, 'M_FORBIDDEN');
    assert.equal((await stateEvent(a, roomId, 'm.room.member', b.userId)).content.displayname, 'Bee');
  });
});

describe("nobody reads another user's filters, account data or devices", () => {
  test('filters', async () => {
    const a = await ctx.user('xa');
    const b = await ctx.user('xb');
    const id = assertOk(await b.post(`${V3}/user/${enc(b.userId)}/filter`, { room: { timeline: { limit: 3 } } })).filter_id;
    assertError(await a.get(`${V3}/user/${enc(b.userId)}/filter/${id}`), 403, 'M_FORBIDDEN');
    assertError(await a.post(`${V3}/user/${enc(b.userId)}/filter`, {}), 403, 'M_FORBIDDEN');
    // Asking under one's own name for the other's filter ID finds nothing of theirs.
    const mine = await a.get(`${V3}/user/${enc(a.userId)}/filter/${id}`);
    assert.ok(mine.status === 404 || JSON.stringify(mine.body) !== JSON.stringify({ room: { timeline: { limit: 3 } } }), JSON.stringify(mine.body));
    // Nor by using it in a sync.
    // Nor by naming it in a sync: a's filter IDs are looked up among a's filters only.
    const s = await a.get(`${V3}/sync?timeout=0&filter=${id}`);
    if (s.status !== 200) assertError(s, 404, 'M_NOT_FOUND');
  });

  test('account data, global and per room', async () => {
    const a = await ctx.user('ya');
    const b = await ctx.user('yb');
    const roomId = await sharedRoom(b, [a]);
    assertOk(await b.put(`${V3}/user/${enc(b.userId)}/account_data/org.secret`, { s: 1 }));
    assertOk(await b.put(`${V3}/user/${enc(b.userId)}/rooms/${enc(roomId)}/account_data/org.secret`, { s: 2 }));
    assertError(await a.get(`${V3}/user/${enc(b.userId)}/account_data/org.secret`), 403, 'M_FORBIDDEN');
    assertError(await a.get(`${V3}/user/${enc(b.userId)}/rooms/${enc(roomId)}/account_data/org.secret`), 403, 'M_FORBIDDEN');
    assertError(await a.put(`${V3}/user/${enc(b.userId)}/account_data/org.secret`, { s: 'x' }), 403, 'M_FORBIDDEN');
    assertError(await a.put(`${V3}/user/${enc(b.userId)}/rooms/${enc(roomId)}/account_data/org.secret`, { s: 'x' }), 403, 'M_FORBIDDEN');
    assertError(await a.get(`${V3}/user/${enc(a.userId)}/account_data/org.secret`), 404, 'M_NOT_FOUND');
    assert.deepEqual(assertOk(await b.get(`${V3}/user/${enc(b.userId)}/account_data/org.secret`)), { s: 1 });
    assert.deepEqual(assertOk(await b.get(`${V3}/user/${enc(b.userId)}/rooms/${enc(roomId)}/account_data/org.secret`)), { s: 2 });
  });

  test('devices: not listed, read, renamed or deleted by someone else', async () => {
    const a = await ctx.user('da');
    const b = await ctx.user('db');
    assertOk(await b.put(`${V3}/devices/${enc(b.deviceId)}`, { display_name: 'b phone' }));
    const listed = assertOk(await a.get(`${V3}/devices`)).devices.map((d: any) => d.device_id);
    assert.ok(!listed.includes(b.deviceId) || a.deviceId === b.deviceId, `a sees b's device: ${listed}`);
    assertError(await a.get(`${V3}/devices/${enc(b.deviceId)}`), 404, 'M_NOT_FOUND');
    assertError(await a.put(`${V3}/devices/${enc(b.deviceId)}`, { display_name: 'renamed' }), 404, 'M_NOT_FOUND');
    const uia = { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: a.userId }, password: 'correct horse' } };
    assertError(await a.delete(`${V3}/devices/${enc(b.deviceId)}`, uia), 404, 'M_NOT_FOUND');
    const bulk = await a.post(`${V3}/delete_devices`, { devices: [b.deviceId], ...uia });
    assert.ok(bulk.status === 200 || bulk.status === 404, JSON.stringify(bulk));
    // b's own password over a's session does not authorize anything either.
    const asB = { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: b.userId }, password: 'correct horse' } };
    // A failed UIA stage is 401 with the flows and an errcode (spec: User-Interactive Authentication API).
    const wrongUser = await a.delete(`${V3}/devices/${enc(a.deviceId)}`, asB);
    assert.ok([401, 403].includes(wrongUser.status) && wrongUser.body.errcode === 'M_FORBIDDEN', JSON.stringify(wrongUser));
    assertOk(await a.get(`${V3}/account/whoami`), "a's device was not deleted on b's password");
    assertOk(await b.get(`${V3}/account/whoami`), "b's session survived");
    assert.equal(assertOk(await b.get(`${V3}/devices/${enc(b.deviceId)}`)).display_name, 'b phone');
  });
});

describe('room auth rules', () => {
  let owner: TestClient;
  let member: TestClient;
  let mod: TestClient;
  let stranger: TestClient;
  let invitee: TestClient;
  let roomId: string;
  let ownerEvent: string;

  before(async () => {
    owner = await ctx.user('rown');
    member = await ctx.user('rmem');
    mod = await ctx.user('rmod');
    stranger = await ctx.user('rstr');
    invitee = await ctx.user('rinv');
    roomId = await sharedRoom(owner, [member, mod], { preset: 'private_chat', room_alias_name: uniqueName('sec') });
    const pl = (await stateEvent(owner, roomId, 'm.room.power_levels')).content;
    assertOk(await owner.put(roomPath(roomId, 'state', 'm.room.power_levels', ''), { ...pl, users: { ...pl.users, [mod.userId]: 50 } }));
    assertOk(await owner.post(roomPath(roomId, 'invite'), { user_id: invitee.userId }));
    ownerEvent = await owner.send(roomId, 'owner says');
  });

  const expectForbidden = (res: Reply, what: string) => {
    assert.equal(res.status, 403, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.errcode, 'M_FORBIDDEN', `${what}: ${JSON.stringify(res.body)}`);
  };

  test('no sending, state, typing, receipts or reading for a stranger or an invitee', async () => {
    for (const [who, u] of [['stranger', stranger], ['invitee', invitee]] as const) {
      expectForbidden(await u.put(roomPath(roomId, 'send', 'm.room.message', uniqueName('t')), { msgtype: 'm.text', body: 'x' }), `${who} send`);
      expectForbidden(await u.put(roomPath(roomId, 'state', 'm.room.topic', ''), { topic: 'x' }), `${who} state`);
      expectForbidden(await u.put(roomPath(roomId, 'typing', u.userId), { typing: true }), `${who} typing`);
      expectForbidden(await u.post(roomPath(roomId, 'receipt', 'm.read', ownerEvent), {}), `${who} receipt`);
      expectForbidden(await u.post(roomPath(roomId, 'read_markers'), { 'm.read': ownerEvent }), `${who} read_markers`);
      expectForbidden(await u.get(`${roomPath(roomId, 'messages')}?dir=b`), `${who} messages`);
      expectForbidden(await u.get(roomPath(roomId, 'state')), `${who} state read`);
      expectForbidden(await u.get(roomPath(roomId, 'members')), `${who} members`);
      expectForbidden(await u.get(roomPath(roomId, 'joined_members')), `${who} joined_members`);
      const ev = await u.get(roomPath(roomId, 'event', ownerEvent));
      assert.ok(ev.status === 403 || ev.status === 404, `${who} event: ${ev.status}`);
      expectForbidden(await u.put(roomPath(roomId, 'redact', ownerEvent, uniqueName('r')), {}), `${who} redact`);
      expectForbidden(await u.post(roomPath(roomId, 'kick'), { user_id: member.userId }), `${who} kick`);
      expectForbidden(await u.post(roomPath(roomId, 'invite'), { user_id: stranger.userId }), `${who} invite`);
      expectForbidden(await u.put(`${V3}/directory/room/${enc(`#${uniqueName('steal')}:localhost`)}`, { room_id: roomId }), `${who} alias`);
      expectForbidden(await u.put(`${V3}/directory/list/room/${enc(roomId)}`, { visibility: 'public' }), `${who} publish`);
      expectForbidden(await u.get(roomPath(roomId, 'aliases')), `${who} aliases`);
    }
    // A stranger cannot join a private (invite-only) room.
    expectForbidden(await stranger.post(roomPath(roomId, 'join'), {}), 'stranger join');
    assert.equal(assertOk(await owner.get(`${V3}/directory/list/room/${enc(roomId)}`)).visibility, 'private', 'room was published');
  });

  test('a plain member cannot set power-gated state, kick, ban, redact others or raise itself', async () => {
    expectForbidden(await member.put(roomPath(roomId, 'state', 'm.room.name', ''), { name: 'mine now' }), 'name');
    expectForbidden(await member.put(roomPath(roomId, 'state', 'm.room.join_rules', ''), { join_rule: 'public' }), 'join_rules');
    const pl = (await stateEvent(owner, roomId, 'm.room.power_levels')).content;
    expectForbidden(await member.put(roomPath(roomId, 'state', 'm.room.power_levels', ''), { ...pl, users: { ...pl.users, [member.userId]: 100 } }), 'power_levels');
    expectForbidden(await member.post(roomPath(roomId, 'kick'), { user_id: mod.userId }), 'kick');
    expectForbidden(await member.post(roomPath(roomId, 'ban'), { user_id: mod.userId }), 'ban');
    expectForbidden(await member.put(roomPath(roomId, 'redact', ownerEvent, uniqueName('r')), {}), 'redact');
    expectForbidden(await member.put(`${V3}/directory/list/room/${enc(roomId)}`, { visibility: 'public' }), 'publish');
    const alias = assertOk(await owner.get(roomPath(roomId, 'aliases'))).aliases[0];
    assert.ok(alias, 'room has an alias');
    expectForbidden(await member.delete(`${V3}/directory/room/${enc(alias)}`), 'delete alias');
    assertOk(await member.get(`${V3}/directory/room/${enc(alias)}`), 'the alias is still there');
    // Still a member, power unchanged, name unset.
    assert.equal((await stateEvent(owner, roomId, 'm.room.power_levels')).content.users[member.userId], undefined);
    assertError(await owner.get(roomPath(roomId, 'state', 'm.room.name', '')), 404, 'M_NOT_FOUND');
    assert.equal((await stateEvent(owner, roomId, 'm.room.member', mod.userId)).content.membership, 'join');
  });

  test('a moderator cannot act on the room admin or raise itself to admin', async () => {
    expectForbidden(await mod.post(roomPath(roomId, 'kick'), { user_id: owner.userId }), 'kick admin');
    expectForbidden(await mod.post(roomPath(roomId, 'ban'), { user_id: owner.userId }), 'ban admin');
    const pl = (await stateEvent(owner, roomId, 'm.room.power_levels')).content;
    expectForbidden(await mod.put(roomPath(roomId, 'state', 'm.room.power_levels', ''), { ...pl, users: { ...pl.users, [mod.userId]: 100 } }), 'raise self');
    expectForbidden(await mod.put(roomPath(roomId, 'state', 'm.room.power_levels', ''), { ...pl, users: { ...pl.users, [owner.userId]: 0 } }), 'demote admin');
    assert.equal((await stateEvent(owner, roomId, 'm.room.member', owner.userId)).content.membership, 'join');
  });

  test('after leaving or being kicked, a user can no longer send or read new events', async () => {
    const leaver = await ctx.user('rleave');
    const kicked = await ctx.user('rkick');
    const r = await sharedRoom(owner, [leaver, kicked], { preset: 'private_chat' });
    assertOk(await leaver.post(roomPath(r, 'leave'), {}));
    assertOk(await owner.post(roomPath(r, 'kick'), { user_id: kicked.userId }));
    const later = await owner.send(r, 'after they left');
    for (const [who, u] of [['leaver', leaver], ['kicked', kicked]] as const) {
      expectForbidden(await u.put(roomPath(r, 'send', 'm.room.message', uniqueName('t')), { msgtype: 'm.text', body: 'x' }), `${who} send`);
      expectForbidden(await u.put(roomPath(r, 'typing', u.userId), { typing: true }), `${who} typing`);
      const ev = await u.get(roomPath(r, 'event', later));
      assert.ok(ev.status === 403 || ev.status === 404, `${who} reads a later event: ${ev.status} ${JSON.stringify(ev.body)}`);
      const msgs = assertOk(await u.get(`${roomPath(r, 'messages')}?dir=b&limit=50`));
      assert.ok(!msgs.chunk.some((e: any) => e.event_id === later), `${who} sees a later event in /messages`);
    }
    // The kicked user may not rejoin an invite-only room.
    expectForbidden(await kicked.post(roomPath(r, 'join'), {}), 'rejoin after kick');
  });

  test('typing and receipts cannot be set for someone else', async () => {
    expectForbidden(await member.put(roomPath(roomId, 'typing', owner.userId), { typing: true }), 'typing for another');
  });
});
