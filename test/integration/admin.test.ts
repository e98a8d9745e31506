/**
 * Issue 7 item 8: the admin API under /_presenced/admin/v1 over real HTTP (docs/admin.md):
 * admin-only access, the user list and its pages, one user, deactivation, sessions, presence.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { TestClient } from '../helpers/client.js';
import { V3, assertError, assertOk, enc, sharedRoom, uniqueName, useServer } from '../helpers/integration.js';
import {
  getStatus, putStatusOk, secondLogin, selfDetail, setAppearOffline, setDeviceState, statusPath, syncNow,
} from './presence-helpers.js';

const ADMIN = '/_presenced/admin/v1';
const clock = new ManualClock();
const ctx = useServer({ clock });

const userPath = (userId: string, rest = '') => `${ADMIN}/users/${enc(userId)}${rest}`;

/** An admin account made as `register-user --admin` does, through the users service, then logged in. */
async function admin(prefix = 'admin'): Promise<TestClient> {
  const res = await ctx.server.server.deps.users.register({ localpart: uniqueName(prefix), password: 'correct horse', isAdmin: true });
  const c = new TestClient(ctx.url);
  c.userId = res.user_id;
  c.deviceId = res.device_id!;
  c.accessToken = res.access_token!;
  return c;
}

/** Every admin route with a harmless target, as [method, path] pairs. */
function everyRoute(target: string): [string, string][] {
  return [
    ['GET', `${ADMIN}/users`],
    ['GET', userPath(target)],
    ['POST', userPath(target, '/deactivate')],
    ['GET', userPath(target, '/sessions')],
    ['GET', userPath(target, '/presence')],
  ];
}

async function walkUsers(a: TestClient, limit: number): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let from: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const q = new URLSearchParams({ limit: String(limit), ...(from === undefined ? {} : { from }) });
    const body = assertOk(await a.get(`${ADMIN}/users?${q}`), 'list users');
    assert.ok(Array.isArray(body.users));
    pages.push(body.users.length);
    ids.push(...body.users.map((u: any) => u.user_id as string));
    if (body.next_token === undefined) return { ids, pages };
    assert.equal(typeof body.next_token, 'string');
    from = body.next_token;
  }
  throw new Error('pagination never ended');
}

describe('admin API: access', () => {
  test('without a token every route is 401 M_MISSING_TOKEN', async () => {
    const u = await ctx.user('anon');
    for (const [method, path] of everyRoute(u.userId)) {
      assertError(await u.request(method, path, method === 'POST' ? {} : undefined, { token: null }), 401, 'M_MISSING_TOKEN');
    }
  });

  test('an unknown token is 401 M_UNKNOWN_TOKEN, header or access_token query parameter', async () => {
    const u = await ctx.user('unk');
    for (const [method, path] of everyRoute(u.userId)) {
      assertError(await u.request(method, path, method === 'POST' ? {} : undefined, { token: 'not-a-token' }), 401, 'M_UNKNOWN_TOKEN');
    }
    assertError(await u.get(`${ADMIN}/users?access_token=nope`, { token: null }), 401, 'M_UNKNOWN_TOKEN');
  });

  test('a non-admin is 403 M_FORBIDDEN on every route, and deactivates nobody', async () => {
    const u = await ctx.user('plain');
    const victim = await ctx.user('notvictim');
    for (const [method, path] of everyRoute(victim.userId)) {
      assertError(await u.request(method, path, method === 'POST' ? {} : undefined), 403, 'M_FORBIDDEN');
    }
    // Even about themselves.
    assertError(await u.get(userPath(u.userId)), 403, 'M_FORBIDDEN');
    assertOk(await victim.get(`${V3}/account/whoami`), 'victim still logged in');
  });

  test('a non-admin learns nothing from bad input: still 403, before parameter and body checks', async () => {
    const u = await ctx.user('probe');
    assertError(await u.get(`${ADMIN}/users?limit=abc`), 403, 'M_FORBIDDEN');
    assertError(await u.get(userPath('not-a-user-id')), 403, 'M_FORBIDDEN');
    assertError(await u.get(userPath(`@nobody_${Date.now()}:localhost`)), 403, 'M_FORBIDDEN');
    assertError(await u.request('POST', userPath(u.userId, '/deactivate'), undefined, { raw: '{not json' }), 403, 'M_FORBIDDEN');
  });

  test('an admin token works; after the admin logs out it is 401 M_UNKNOWN_TOKEN', async () => {
    const a = await admin();
    assertOk(await a.get(`${ADMIN}/users`), 'list as admin');
    assertOk(await a.post(`${V3}/logout`, {}), 'logout');
    assertError(await a.get(`${ADMIN}/users`), 401, 'M_UNKNOWN_TOKEN');
  });

  test('unknown admin paths are 404 M_UNRECOGNIZED; a wrong method 405 M_UNRECOGNIZED', async () => {
    const a = await admin();
    assertError(await a.get(`${ADMIN}/nothing`), 404, 'M_UNRECOGNIZED');
    assertError(await a.get(`/_presenced/admin/v2/users`), 404, 'M_UNRECOGNIZED');
    assertError(await a.put(`${ADMIN}/users`, {}), 405, 'M_UNRECOGNIZED');
    assertError(await a.get(userPath(a.userId, '/deactivate')), 405, 'M_UNRECOGNIZED');
  });
});

describe('GET /users', () => {
  test('lists users in user ID order with their fields', async () => {
    const a = await admin();
    const u = await ctx.user('listed');
    assertOk(await u.put(`${V3}/profile/${enc(u.userId)}/displayname`, { displayname: 'Listed One' }), 'displayname');
    assertOk(await u.put(`${V3}/profile/${enc(u.userId)}/avatar_url`, { avatar_url: 'mxc://localhost/abc' }), 'avatar');
    const { ids } = await walkUsers(a, 1000);
    assert.deepEqual(ids, [...ids].sort(), 'sorted by user ID');
    assert.ok(ids.includes(a.userId) && ids.includes(u.userId));
    const body = assertOk(await a.get(`${ADMIN}/users?limit=1000`));
    const row = body.users.find((x: any) => x.user_id === u.userId);
    assert.deepEqual(row, {
      user_id: u.userId,
      displayname: 'Listed One',
      avatar_url: 'mxc://localhost/abc',
      admin: false,
      deactivated: false,
      creation_ts: clock.now(),
    });
    assert.equal(body.users.find((x: any) => x.user_id === a.userId).admin, true);
  });

  test('pages of `limit` users follow next_token to the end with no user twice or missed; the last page has no next_token', async () => {
    const a = await admin();
    for (let i = 0; i < 5; i++) await ctx.user('page');
    const all = (await walkUsers(a, 1000)).ids;
    assert.ok(all.length >= 6);
    for (const limit of [1, 2, 3]) {
      const { ids, pages } = await walkUsers(a, limit);
      assert.deepEqual(ids, all, `limit ${limit}`);
      assert.ok(pages.slice(0, -1).every((n) => n === limit), `full pages before the last: ${pages.join(',')}`);
      assert.ok(pages[pages.length - 1] <= limit);
    }
  });

  test('from starts after the given user; default limit 100; limit above 1000 is capped', async () => {
    const a = await admin();
    const all = (await walkUsers(a, 1000)).ids;
    const after = assertOk(await a.get(`${ADMIN}/users?from=${enc(all[1])}&limit=1000`));
    assert.deepEqual(after.users.map((x: any) => x.user_id), all.slice(2));
    const dflt = assertOk(await a.get(`${ADMIN}/users`));
    assert.equal(dflt.users.length, Math.min(all.length, 100));
    assert.equal(dflt.next_token === undefined, all.length <= 100);
    const big = assertOk(await a.get(`${ADMIN}/users?limit=999999`));
    assert.equal(big.users.length, Math.min(all.length, 1000));
    // A from past the end is an empty last page.
    assert.deepEqual(assertOk(await a.get(`${ADMIN}/users?from=${enc('@~~~~:localhost')}`)), { users: [] });
  });

  test('bad limit or from: 400 M_INVALID_PARAM', async () => {
    const a = await admin();
    for (const q of ['limit=abc', 'limit=-1', 'limit=0', 'limit=1.5', 'limit=', 'limit=1&limit=2', 'limit=99999999', 'from=nope', 'from=', 'from=a&from=b']) {
      assertError(await a.get(`${ADMIN}/users?${q}`), 400, 'M_INVALID_PARAM');
    }
  });
});

describe('GET /users/{userId}', () => {
  test('answers one user; an admin shows admin: true', async () => {
    const a = await admin();
    const u = await ctx.user('one');
    assert.deepEqual(assertOk(await a.get(userPath(u.userId))), {
      user_id: u.userId, displayname: null, avatar_url: null, admin: false, deactivated: false, creation_ts: clock.now(),
    });
    assert.equal(assertOk(await a.get(userPath(a.userId))).admin, true);
  });

  test('an unknown or remote user is 404 M_NOT_FOUND', async () => {
    const a = await admin();
    assertError(await a.get(userPath(`@nobody_${Date.now()}:localhost`)), 404, 'M_NOT_FOUND');
    assertError(await a.get(userPath('@alice:elsewhere.example')), 404, 'M_NOT_FOUND');
    assertError(await a.get(userPath('@a/b:localhost')), 404, 'M_NOT_FOUND');
  });

  test('a malformed user ID is 400 M_INVALID_PARAM on every per-user route', async () => {
    const a = await admin();
    for (const bad of ['alice', '@alice', '@:localhost', '!room:localhost', '@al ice:localhost', `@${'x'.repeat(300)}:localhost`, '@a:bad server', '%']) {
      for (const [method, path] of everyRoute(bad).slice(1)) {
        const res = await a.request(method, path, method === 'POST' ? {} : undefined);
        assertError(res, 400, 'M_INVALID_PARAM');
      }
    }
  });
});

describe('GET /users/{userId}/sessions', () => {
  test("lists the user's devices with display name and last seen time", async () => {
    const a = await admin();
    const u = await ctx.user('sess');
    const u2 = await secondLogin(ctx.url, u, 'PHONE');
    assertOk(await u2.put(`${V3}/devices/PHONE`, { display_name: 'My phone' }), 'rename');
    const body = assertOk(await a.get(userPath(u.userId, '/sessions')));
    assert.equal(body.user_id, u.userId);
    const byId = new Map<string, any>(body.devices.map((d: any) => [d.device_id, d]));
    assert.deepEqual([...byId.keys()].sort(), [u.deviceId, 'PHONE'].sort());
    assert.equal(byId.get('PHONE').display_name, 'My phone');
    for (const d of body.devices) assert.equal(d.last_seen_ts, clock.now());
    // The same devices the user lists for themself.
    const own = assertOk(await u.get(`${V3}/devices`)).devices;
    assert.deepEqual(new Set(own.map((d: any) => d.device_id)), new Set(byId.keys()));
  });

  test('a logged-out device is gone; unknown users 404', async () => {
    const a = await admin();
    const u = await ctx.user('sessout');
    const u2 = await secondLogin(ctx.url, u);
    assertOk(await u2.post(`${V3}/logout`, {}));
    assert.deepEqual(assertOk(await a.get(userPath(u.userId, '/sessions'))).devices.map((d: any) => d.device_id), [u.deviceId]);
    assertError(await a.get(userPath(`@nobody_${Date.now()}:localhost`, '/sessions')), 404, 'M_NOT_FOUND');
  });
});

describe('GET /users/{userId}/presence', () => {
  test("anyone's full presence, as the user sees it themself, with no shared room", async () => {
    const a = await admin();
    const u = await ctx.user('pres');
    const u2 = await secondLogin(ctx.url, u, 'TABLET');
    await syncNow(u);
    await putStatusOk(u, 'online', 'in a meeting');
    await setDeviceState(u2, 'idle');
    clock.advance(1500);
    // A plain user with no shared room may not read it.
    const stranger = await ctx.user('stranger');
    assertError(await stranger.get(statusPath(u.userId)), 403, 'M_FORBIDDEN');
    const body = assertOk(await a.get(userPath(u.userId, '/presence')));
    const own = await selfDetail(u);
    assert.deepEqual(body, { user_id: u.userId, ...own });
    assert.equal(body.presence, 'online');
    assert.equal(body.status_msg, 'in a meeting');
    assert.equal(body.appear_offline, false);
    assert.deepEqual(body.devices.map((d: any) => [d.device_id, d.presence]).sort(), [[u.deviceId, 'online'], ['TABLET', 'unavailable']].sort());
  });

  test('appear offline: the admin sees the real state and appear_offline, as the user does; others see offline', async () => {
    const a = await admin();
    const u = await ctx.user('hid');
    const mate = await ctx.user('hidmate');
    await sharedRoom(u, [mate]);
    await putStatusOk(u, 'online', 'secret');
    await setAppearOffline(u, true);
    const body = assertOk(await a.get(userPath(u.userId, '/presence')));
    assert.deepEqual(body, { user_id: u.userId, ...(await selfDetail(u)) });
    assert.equal(body.presence, 'online');
    assert.equal(body.appear_offline, true);
    assert.equal(body.status_msg, 'secret');
    assert.deepEqual(await getStatus(mate, u), { presence: 'offline', status_msg: null });
  });

  test('a user who never had presence is offline with no devices; unknown users 404', async () => {
    const a = await admin();
    const name = uniqueName('quiet');
    const res = await ctx.server.server.deps.users.register({ localpart: name, password: null, inhibitLogin: true });
    assert.deepEqual(assertOk(await a.get(userPath(res.user_id, '/presence'))), {
      user_id: res.user_id, presence: 'offline', status_msg: null, appear_offline: false, decided_by: null, devices: [],
    });
    assertError(await a.get(userPath(`@nobody_${Date.now()}:localhost`, '/presence')), 404, 'M_NOT_FOUND');
  });
});

describe('POST /users/{userId}/deactivate', () => {
  test('logs out every device, refuses login, and a room-mate sees the user go offline', async () => {
    const a = await admin();
    const victim = await ctx.user('victim');
    const victim2 = await secondLogin(ctx.url, victim);
    const mate = await ctx.user('mate');
    await sharedRoom(victim, [mate]);
    await syncNow(victim);
    await putStatusOk(victim, 'online', 'about to go');
    const before = await syncNow(mate, { set_presence: 'offline' });
    assert.equal((await getStatus(mate, victim)).presence, 'online');

    assert.deepEqual(assertOk(await a.post(userPath(victim.userId, '/deactivate'), {})), {});

    for (const c of [victim, victim2]) assertError(await c.get(`${V3}/account/whoami`), 401, 'M_UNKNOWN_TOKEN');
    assertError(await victim.post(`${V3}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: victim.userId }, password: 'correct horse',
    }, { token: null }), 403, 'M_FORBIDDEN');
    assert.equal((await getStatus(mate, victim)).presence, 'offline');
    const after = await syncNow(mate, { set_presence: 'offline', since: before.next_batch });
    const ev = (after.presence?.events ?? []).filter((e: any) => e.sender === victim.userId);
    assert.equal(ev.at(-1)?.content?.presence, 'offline', JSON.stringify(after.presence));

    const row = assertOk(await a.get(userPath(victim.userId)));
    assert.equal(row.deactivated, true);
    assert.deepEqual(assertOk(await a.get(userPath(victim.userId, '/sessions'))).devices, []);
    const pres = assertOk(await a.get(userPath(victim.userId, '/presence')));
    assert.equal(pres.presence, 'offline');
    assert.deepEqual(pres.devices, []);
    // The room-mate is unaffected.
    assertOk(await mate.get(`${V3}/account/whoami`));
  });

  test('is idempotent: a second call is 200 {} and the user stays deactivated', async () => {
    const a = await admin();
    const u = await ctx.user('twice');
    assert.deepEqual(assertOk(await a.post(userPath(u.userId, '/deactivate'))), {});
    assert.deepEqual(assertOk(await a.post(userPath(u.userId, '/deactivate'))), {});
    assert.equal(assertOk(await a.get(userPath(u.userId))).deactivated, true);
  });

  test('works with no body at all', async () => {
    const a = await admin();
    const u = await ctx.user('nobody');
    assert.deepEqual(assertOk(await a.request('POST', userPath(u.userId, '/deactivate'))), {});
    assertError(await u.get(`${V3}/account/whoami`), 401, 'M_UNKNOWN_TOKEN');
  });

  test('unknown users 404 and stay unknown; a bad body is a 400 and deactivates nobody', async () => {
    const a = await admin();
    const ghost = `@ghost_${Date.now()}:localhost`;
    assertError(await a.post(userPath(ghost, '/deactivate')), 404, 'M_NOT_FOUND');
    assertError(await a.get(userPath(ghost)), 404, 'M_NOT_FOUND');
    assertError(await a.post(userPath('@someone:elsewhere.example', '/deactivate')), 404, 'M_NOT_FOUND');
    const u = await ctx.user('badbody');
    assertError(await a.request('POST', userPath(u.userId, '/deactivate'), undefined, { raw: '{not json' }), 400, 'M_NOT_JSON');
    assertError(await a.post(userPath(u.userId, '/deactivate'), ['x']), 400, 'M_BAD_JSON');
    assertError(await a.post(userPath(u.userId, '/deactivate'), 'x'), 400, 'M_BAD_JSON');
    assertOk(await u.get(`${V3}/account/whoami`), 'still active');
  });

  test('a deactivated admin loses the admin API', async () => {
    const a = await admin();
    const b = await admin('admin2');
    assertOk(await a.post(userPath(b.userId, '/deactivate')));
    assertError(await b.get(`${ADMIN}/users`), 401, 'M_UNKNOWN_TOKEN');
  });
});
