/** Spec chapter "Client Authentication" and "Account registration", over real HTTP. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestClient } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';
import { V3, assertError, assertOk, uniqueName, useServer } from '../helpers/integration.js';

const ctx = useServer();
const anon = () => new TestClient(ctx.url);

describe('registration', () => {
  test('without auth answers 401 with the dummy flow and a session, then m.login.dummy completes it', async () => {
    const c = anon();
    const name = uniqueName('reg');
    const first = await c.post(`${V3}/register`, { username: name, password: 'pw-123456' }, { token: null });
    assert.equal(first.status, 401);
    assert.ok(Array.isArray(first.body.flows), 'Array.isArray(first.body.flows)');
    assert.ok(first.body.flows.some((f: any) => f.stages.length === 1 && f.stages[0] === 'm.login.dummy'), JSON.stringify(first.body));
    assert.equal(typeof first.body.session, 'string');
    assert.deepEqual(first.body.params, {});

    const second = await c.post(`${V3}/register`, {
      username: name,
      password: 'pw-123456',
      auth: { type: 'm.login.dummy', session: first.body.session },
    }, { token: null });
    const body = assertOk(second, 'register');
    assert.equal(body.user_id, `@${name}:localhost`);
    assert.equal(typeof body.access_token, 'string');
    assert.equal(typeof body.device_id, 'string');

    const who = assertOk(await c.get(`${V3}/account/whoami`, { token: body.access_token }));
    assert.equal(who.user_id, body.user_id);
    assert.equal(who.device_id, body.device_id);
  });

  test('stores the password with scrypt, never in clear', async () => {
    const c = await ctx.user('kdf');
    const row = await ctx.server.server.storage.users.getUser(c.userId);
    assert.ok(row?.passwordHash?.startsWith('scrypt$'), String(row?.passwordHash));
    assert.ok(!row!.passwordHash!.includes('correct horse'), '!row.passwordHash.includes(\'correct horse\')');
  });

  test('register/available: free name is available, taken name is M_USER_IN_USE, bad name M_INVALID_USERNAME', async () => {
    const c = anon();
    const free = uniqueName('free');
    assert.deepEqual(assertOk(await c.get(`${V3}/register/available?username=${free}`, { token: null })), { available: true });
    const taken = await ctx.user('taken');
    const localpart = taken.userId.slice(1, taken.userId.indexOf(':'));
    assertError(await c.get(`${V3}/register/available?username=${localpart}`, { token: null }), 400, 'M_USER_IN_USE');
    assertError(await c.get(`${V3}/register/available?username=${encodeURIComponent('no spaces!')}`, { token: null }), 400, 'M_INVALID_USERNAME');
  });

  test('a taken username is M_USER_IN_USE', async () => {
    const taken = await ctx.user('dup');
    const localpart = taken.userId.slice(1, taken.userId.indexOf(':'));
    const res = await anon().post(`${V3}/register`, { username: localpart, password: 'x', auth: { type: 'm.login.dummy' } }, { token: null });
    assertError(res, 400, 'M_USER_IN_USE');
  });

  test('an invalid username is M_INVALID_USERNAME', async () => {
    for (const username of ['has space', 'colon:inside', 'ünicode']) {
      const res = await anon().post(`${V3}/register`, { username, password: 'x', auth: { type: 'm.login.dummy' } }, { token: null });
      assertError(res, 400, 'M_INVALID_USERNAME');
    }
  });

  test('inhibit_login creates the account without a session; the password then logs in', async () => {
    const name = uniqueName('inhibit');
    const res = assertOk(await anon().post(`${V3}/register`, {
      username: name, password: 'secret-pw', inhibit_login: true, auth: { type: 'm.login.dummy' },
    }, { token: null }));
    assert.equal(res.user_id, `@${name}:localhost`);
    assert.equal(res.access_token, undefined);
    assert.equal(res.device_id, undefined);
    const login = assertOk(await anon().post(`${V3}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: name }, password: 'secret-pw',
    }, { token: null }));
    assert.equal(login.user_id, res.user_id);
  });

  test('register with a device_id and initial_device_display_name creates that device', async () => {
    const name = uniqueName('dev');
    const res = assertOk(await anon().post(`${V3}/register`, {
      username: name, password: 'pw', device_id: 'MYDEVICE', initial_device_display_name: 'Laptop', auth: { type: 'm.login.dummy' },
    }, { token: null }));
    assert.equal(res.device_id, 'MYDEVICE');
    const dev = assertOk(await anon().get(`${V3}/devices/MYDEVICE`, { token: res.access_token }));
    assert.equal(dev.display_name, 'Laptop');
  });

  test('closed registration answers 403', async () => {
    const closed = await startTestServer({ config: { registration: false } });
    try {
      const res = await new TestClient(closed.url).post(`${V3}/register`, { username: 'nobody', password: 'x', auth: { type: 'm.login.dummy' } }, { token: null });
      assertError(res, 403, 'M_FORBIDDEN');
    } finally {
      await closed.close();
    }
  });
});

describe('login', () => {
  test('GET /login offers m.login.password', async () => {
    const body = assertOk(await anon().get(`${V3}/login`, { token: null }));
    assert.ok(body.flows.some((f: any) => f.type === 'm.login.password'), 'body.flows.some((f: any) => f.type === \'m.login.password\')');
  });

  test('m.id.user identifier with localpart or full user ID, and the deprecated plain user field', async () => {
    const u = await ctx.user('login');
    const localpart = u.userId.slice(1, u.userId.indexOf(':'));
    const bodies = [
      { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: 'correct horse' },
      { type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: 'correct horse' },
      { type: 'm.login.password', user: localpart, password: 'correct horse' },
    ];
    const tokens = new Set<string>();
    for (const b of bodies) {
      const res = assertOk(await anon().post(`${V3}/login`, b, { token: null }), JSON.stringify(b));
      assert.equal(res.user_id, u.userId);
      assert.equal(typeof res.access_token, 'string');
      assert.equal(typeof res.device_id, 'string');
      tokens.add(res.access_token);
      const who = assertOk(await anon().get(`${V3}/account/whoami`, { token: res.access_token }));
      assert.equal(who.user_id, u.userId);
      assert.equal(who.device_id, res.device_id);
    }
    assert.equal(tokens.size, 3, 'each login gets its own token');
  });

  test('login with a device_id keeps that device id', async () => {
    const u = await ctx.user('logindev');
    const res = assertOk(await anon().post(`${V3}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: 'correct horse', device_id: 'PHONE1',
    }, { token: null }));
    assert.equal(res.device_id, 'PHONE1');
  });

  test('wrong password and unknown user are 403 M_FORBIDDEN', async () => {
    const u = await ctx.user('wrongpw');
    assertError(await anon().post(`${V3}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: 'not it',
    }, { token: null }), 403, 'M_FORBIDDEN');
    assertError(await anon().post(`${V3}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: uniqueName('ghost') }, password: 'x',
    }, { token: null }), 403, 'M_FORBIDDEN');
  });
});

describe('logout and whoami', () => {
  test('whoami says who the token belongs to', async () => {
    const u = await ctx.user('who');
    const body = assertOk(await u.get(`${V3}/account/whoami`));
    assert.equal(body.user_id, u.userId);
    assert.equal(body.device_id, u.deviceId);
  });

  test('logout invalidates only that token', async () => {
    const u = await ctx.user('logout');
    const other = assertOk(await anon().post(`${V3}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: 'correct horse',
    }, { token: null }));
    assert.deepEqual(assertOk(await u.post(`${V3}/logout`, {})), {});
    assertError(await u.get(`${V3}/account/whoami`), 401, 'M_UNKNOWN_TOKEN');
    assertOk(await anon().get(`${V3}/account/whoami`, { token: other.access_token }), 'other session survives');
    // The device went with the token.
    const devices = assertOk(await anon().get(`${V3}/devices`, { token: other.access_token })).devices.map((d: any) => d.device_id);
    assert.ok(!devices.includes(u.deviceId), '!devices.includes(u.deviceId)');
  });

  test('logout/all invalidates every token of the user', async () => {
    const u = await ctx.user('logoutall');
    const other = assertOk(await anon().post(`${V3}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: 'correct horse',
    }, { token: null }));
    assert.deepEqual(assertOk(await u.post(`${V3}/logout/all`, {})), {});
    assertError(await u.get(`${V3}/account/whoami`), 401, 'M_UNKNOWN_TOKEN');
    assertError(await anon().get(`${V3}/account/whoami`, { token: other.access_token }), 401, 'M_UNKNOWN_TOKEN');
    // The password still works afterwards.
    assertOk(await anon().post(`${V3}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: u.userId }, password: 'correct horse',
    }, { token: null }));
  });

  test('the deprecated access_token query parameter is accepted', async () => {
    const u = await ctx.user('qtoken');
    const res = await anon().get(`${V3}/account/whoami?access_token=${encodeURIComponent(u.accessToken)}`, { token: null });
    assert.equal(assertOk(res).user_id, u.userId);
  });
});
