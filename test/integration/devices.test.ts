/** Spec chapter "Device Management": list, get, rename, delete behind password auth. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestClient } from '../helpers/client.js';
import { V3, assertError, assertOk, useServer } from '../helpers/integration.js';

const ctx = useServer();

const secondLogin = (u: TestClient, deviceId?: string) => TestClient.login(ctx.url, u.userId, 'correct horse', deviceId);

const passwordAuth = (userId: string, password = 'correct horse', session?: string) => ({
  type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password, session,
});

describe('devices', () => {
  test('list shows every logged-in device of the user and nobody else\'s', async () => {
    const u = await ctx.user('list');
    const other = await ctx.user('listother');
    const second = await secondLogin(u, 'SECOND');
    const ids = assertOk(await u.get(`${V3}/devices`)).devices.map((d: any) => d.device_id).sort();
    assert.deepEqual(ids, [u.deviceId, second.deviceId].sort());
    assert.ok(!ids.includes(other.deviceId), '!ids.includes(other.deviceId)');
  });

  test('get one device; an unknown or foreign device is 404 M_NOT_FOUND', async () => {
    const u = await ctx.user('get');
    const other = await ctx.user('getother');
    const dev = assertOk(await u.get(`${V3}/devices/${u.deviceId}`));
    assert.equal(dev.device_id, u.deviceId);
    assertError(await u.get(`${V3}/devices/NOPE`), 404, 'M_NOT_FOUND');
    assertError(await u.get(`${V3}/devices/${other.deviceId}`), 404, 'M_NOT_FOUND');
  });

  test('rename changes display_name; renaming an unknown device is 404', async () => {
    const u = await ctx.user('rename');
    assert.deepEqual(assertOk(await u.put(`${V3}/devices/${u.deviceId}`, { display_name: 'Work laptop' })), {});
    assert.equal(assertOk(await u.get(`${V3}/devices/${u.deviceId}`)).display_name, 'Work laptop');
    const listed = assertOk(await u.get(`${V3}/devices`)).devices.find((d: any) => d.device_id === u.deviceId);
    assert.equal(listed.display_name, 'Work laptop');
    assertError(await u.put(`${V3}/devices/NOPE`, { display_name: 'x' }), 404, 'M_NOT_FOUND');
  });

  test('delete asks for password auth (401 with flows), refuses a wrong password, then deletes and revokes the token', async () => {
    const u = await ctx.user('del');
    const victim = await secondLogin(u, 'VICTIM');

    const challenge = await u.delete(`${V3}/devices/VICTIM`, {});
    assert.equal(challenge.status, 401);
    assert.ok(challenge.body.flows.some((f: any) => f.stages.includes('m.login.password')), JSON.stringify(challenge.body));
    assert.equal(typeof challenge.body.session, 'string');

    const wrong = await u.delete(`${V3}/devices/VICTIM`, { auth: passwordAuth(u.userId, 'wrong', challenge.body.session) });
    assert.equal(wrong.status, 401, JSON.stringify(wrong.body));
    assert.equal(wrong.body.errcode, 'M_FORBIDDEN');
    assertOk(await victim.get(`${V3}/account/whoami`), 'still logged in after a failed attempt');

    assert.deepEqual(assertOk(await u.delete(`${V3}/devices/VICTIM`, { auth: passwordAuth(u.userId, 'correct horse', challenge.body.session) })), {});
    assertError(await u.get(`${V3}/devices/VICTIM`), 404, 'M_NOT_FOUND');
    assertError(await victim.get(`${V3}/account/whoami`), 401, 'M_UNKNOWN_TOKEN');
    assertOk(await u.get(`${V3}/account/whoami`), 'the deleting session survives');
  });

  test('password auth as another user is refused', async () => {
    const u = await ctx.user('delother');
    const mallory = await ctx.user('mallory');
    await secondLogin(u, 'KEEP');
    const res = await u.delete(`${V3}/devices/KEEP`, { auth: passwordAuth(mallory.userId) });
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.body.errcode, 'M_FORBIDDEN');
    assertOk(await u.get(`${V3}/devices/KEEP`), 'device kept');
  });

  test('deleting an unknown device is 404', async () => {
    const u = await ctx.user('delunknown');
    assertError(await u.delete(`${V3}/devices/NOPE`, { auth: passwordAuth(u.userId) }), 404, 'M_NOT_FOUND');
  });

  test('delete_devices removes several devices after password auth', async () => {
    const u = await ctx.user('bulk');
    const a = await secondLogin(u, 'BULKA');
    const b = await secondLogin(u, 'BULKB');
    const challenge = await u.post(`${V3}/delete_devices`, { devices: ['BULKA', 'BULKB'] });
    assert.equal(challenge.status, 401);
    assertOk(await u.post(`${V3}/delete_devices`, { devices: ['BULKA', 'BULKB'], auth: passwordAuth(u.userId, 'correct horse', challenge.body.session) }));
    assertError(await a.get(`${V3}/account/whoami`), 401, 'M_UNKNOWN_TOKEN');
    assertError(await b.get(`${V3}/account/whoami`), 401, 'M_UNKNOWN_TOKEN');
    const ids = assertOk(await u.get(`${V3}/devices`)).devices.map((d: any) => d.device_id);
    assert.deepEqual(ids, [u.deviceId]);
  });
});
