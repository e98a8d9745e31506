/**
 * Issue 3 items 1, 2, 6, 9 and the timer validation of 3, over real HTTP with a ManualClock:
 * PUT/GET /presence/{userId}/status, seed 004's unstable APIs, the capability, config.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { buildConfig, ConfigError } from '../../src/config/index.js';
import { V3, assertError, assertOk, sharedRoom, useServer } from '../helpers/integration.js';
import {
  UNSTABLE, getStatus, putStatus, putStatusOk, secondLogin, selfDetail, setAppearOffline, setDeviceState, statusPath,
} from './presence-helpers.js';

const clock = new ManualClock();
const ctx = useServer({ clock });

describe('PUT /presence/{userId}/status', () => {
  test('answers 200 {} for every accepted state: online, unavailable, offline, free_for_chat, hidden', async () => {
    const u = await ctx.user('put');
    for (const p of ['online', 'unavailable', 'offline', 'free_for_chat', 'hidden']) {
      const res = await putStatus(u, p, 'msg');
      assert.equal(res.status, 200, `${p}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body, {});
    }
  });

  test('an unknown state is 400 M_INVALID_PARAM and changes nothing', async () => {
    const u = await ctx.user('bad');
    await putStatusOk(u, 'online', 'before');
    for (const p of ['away', 'ONLINE', '', 'idle']) assertError(await putStatus(u, p), 400, 'M_INVALID_PARAM');
    const body = await getStatus(u, u);
    assert.equal(body.presence, 'online');
    assert.equal(body.status_msg, 'before');
  });

  test('wrong JSON types are 400 M_BAD_JSON', async () => {
    const u = await ctx.user('types');
    assertError(await putStatus(u, 5), 400, 'M_BAD_JSON');
    assertError(await putStatus(u, null), 400, 'M_BAD_JSON');
    assertError(await putStatus(u, ['online']), 400, 'M_BAD_JSON');
    assertError(await putStatus(u, 'online', 42), 400, 'M_BAD_JSON');
    assertError(await putStatus(u, 'online', { text: 'hi' }), 400, 'M_BAD_JSON');
    assertError(await u.put(statusPath(u.userId), ['online']), 400, 'M_BAD_JSON');
  });

  test('a missing presence field is a 400', async () => {
    const u = await ctx.user('missing');
    const res = await u.put(statusPath(u.userId), { status_msg: 'x' });
    assert.equal(res.status, 400);
    assert.ok(['M_MISSING_PARAM', 'M_BAD_JSON'].includes(res.body.errcode), JSON.stringify(res.body));
  });

  test('status_msg up to presence.max_status_msg_length (256) is accepted; longer is 400 M_INVALID_PARAM', async () => {
    const u = await ctx.user('long');
    await putStatusOk(u, 'online', 'x'.repeat(256));
    assert.equal((await getStatus(u, u)).status_msg, 'x'.repeat(256));
    assertError(await putStatus(u, 'online', 'y'.repeat(257)), 400, 'M_INVALID_PARAM');
    assert.equal((await getStatus(u, u)).status_msg, 'x'.repeat(256), 'a rejected PUT leaves the message');
  });

  test("another user's presence is 403 M_FORBIDDEN, even for a room-mate", async () => {
    const a = await ctx.user('me');
    const b = await ctx.user('them');
    await sharedRoom(a, [b]);
    assertError(await a.put(statusPath(b.userId), { presence: 'online' }), 403, 'M_FORBIDDEN');
    assertError(await a.put(statusPath(`@nobody_${Date.now()}:localhost`), { presence: 'online' }), 403, 'M_FORBIDDEN');
  });

  test('without an access token: 401 M_MISSING_TOKEN', async () => {
    const u = await ctx.user('anon');
    assertError(await u.put(statusPath(u.userId), { presence: 'online' }, { token: null }), 401, 'M_MISSING_TOKEN');
  });

  test('PUT without status_msg clears it; status_msg null clears it too', async () => {
    const u = await ctx.user('clear');
    await putStatusOk(u, 'online', 'lunch');
    assert.equal((await getStatus(u, u)).status_msg, 'lunch');
    await putStatusOk(u, 'online');
    assert.equal((await getStatus(u, u)).status_msg, null);
    await putStatusOk(u, 'unavailable', 'back soon');
    await putStatusOk(u, 'unavailable', null);
    assert.equal((await getStatus(u, u)).status_msg, null);
  });
});

describe('rate limit on presence updates', () => {
  const rlClock = new ManualClock();
  const rl = useServer({ clock: rlClock, config: { rate_limits: { presence: { per_second: 1, burst: 2 } } } });

  test('past the burst: 429 M_LIMIT_EXCEEDED with retry_after_ms; after that long it succeeds again; per user', async () => {
    const u = await rl.user('rl');
    const other = await rl.user('rlother');
    await putStatusOk(u, 'online', 'one');
    await putStatusOk(u, 'online', 'two');
    const res = await putStatus(u, 'online', 'three');
    assertError(res, 429, 'M_LIMIT_EXCEEDED');
    assert.equal(typeof res.body.retry_after_ms, 'number');
    assert.ok(res.body.retry_after_ms > 0 && res.body.retry_after_ms <= 1000, String(res.body.retry_after_ms));
    assert.equal((await getStatus(u, u)).status_msg, 'two', 'the limited PUT was not applied');
    // The limiter is per user: someone else is not affected.
    await putStatusOk(other, 'online', 'fine');
    // The unstable presence writes share the budget.
    assertError(await u.put(`${UNSTABLE}/presence/device`, { state: 'idle' }), 429, 'M_LIMIT_EXCEEDED');
    assertError(await u.put(`${UNSTABLE}/presence/appear_offline`, { appear_offline: true }), 429, 'M_LIMIT_EXCEEDED');

    rlClock.advance(res.body.retry_after_ms);
    await putStatusOk(u, 'online', 'three');
    assert.equal((await getStatus(u, u)).status_msg, 'three');
  });
});

describe('GET /presence/{userId}/status', () => {
  test('fields: presence, last_active_ago, status_msg, currently_active with online', async () => {
    const a = await ctx.user('getter');
    const b = await ctx.user('gotten');
    await sharedRoom(a, [b]);
    await putStatusOk(b, 'online', 'hello');
    clock.advance(1234);
    const body = await getStatus(a, b);
    assert.deepEqual(body, { presence: 'online', last_active_ago: 1234, currently_active: true, status_msg: 'hello' });
  });

  test('currently_active appears only with online', async () => {
    const a = await ctx.user('ca');
    const b = await ctx.user('cb');
    await sharedRoom(a, [b]);
    await putStatusOk(b, 'unavailable');
    let body = await getStatus(a, b);
    assert.equal(body.presence, 'unavailable');
    assert.ok(!('currently_active' in body), JSON.stringify(body));
    assert.equal(body.status_msg, null);

    await putStatusOk(b, 'free_for_chat');
    body = await getStatus(a, b);
    assert.equal(body.presence, 'free_for_chat');
    assert.ok(!('currently_active' in body), JSON.stringify(body));

    await putStatusOk(b, 'offline');
    body = await getStatus(a, b);
    assert.equal(body.presence, 'offline');
    assert.ok(!('currently_active' in body), JSON.stringify(body));
    assert.equal(typeof body.last_active_ago, 'number', 'an offline user still shows how long ago they were active');
  });

  test('an invitee is not visible (403); once joined, a device that never syncs is offline 30 s after the join, status_msg null', async () => {
    const a = await ctx.user('seer');
    const b = await ctx.user('quiet');
    const roomId = await a.createRoom({ invite: [b.userId] });
    assertError(await a.get(statusPath(b.userId)), 403, 'M_FORBIDDEN');
    await b.join(roomId);
    // The join is activity, so B is online until its never-connected device is dropped.
    assert.equal((await getStatus(a, b)).presence, 'online');
    clock.advance(30_000);
    assert.deepEqual(await getStatus(a, b), { presence: 'offline', last_active_ago: 30_000, status_msg: null });
  });

  test('a stranger (no shared room) is 403 M_FORBIDDEN', async () => {
    const a = await ctx.user('nosy');
    const b = await ctx.user('private');
    await putStatusOk(b, 'online', 'secret');
    assertError(await a.get(statusPath(b.userId)), 403, 'M_FORBIDDEN');
  });

  test('an unknown user is 404 M_NOT_FOUND; a malformed id is 400', async () => {
    const a = await ctx.user('looker');
    assertError(await a.get(statusPath(`@ghost_${process.pid}:localhost`)), 404, 'M_NOT_FOUND');
    assertError(await a.get(statusPath('not-a-user-id')), 400, 'M_INVALID_PARAM');
  });

  test('oneself is always allowed, with no shared room at all', async () => {
    const u = await ctx.user('loner');
    assert.deepEqual(await getStatus(u, u), { presence: 'offline', status_msg: null });
    await putStatusOk(u, 'online', 'me');
    const body = await getStatus(u, u);
    assert.equal(body.presence, 'online');
    assert.equal(body.status_msg, 'me');
    assert.equal(body.currently_active, true);
    assert.equal(body.last_active_ago, 0);
  });
});

describe('seed 004 unstable APIs (org.presenced)', () => {
  test('GET /presence: the union and every device, sorted by device id', async () => {
    const u = await ctx.user('detail');
    const second = await secondLogin(ctx.url, u);
    const empty = await selfDetail(u);
    assert.deepEqual(empty, { presence: 'offline', status_msg: null, appear_offline: false, decided_by: null, devices: [] });

    await setDeviceState(u, 'online');
    clock.advance(500);
    await setDeviceState(second, 'idle');
    const d = await selfDetail(u);
    assert.equal(d.presence, 'online');
    assert.equal(d.decided_by, u.deviceId);
    assert.equal(d.appear_offline, false);
    assert.equal(d.status_msg, null);
    assert.equal(d.currently_active, true);
    assert.equal(d.last_active_ago, 500);
    const ids = [u.deviceId, second.deviceId].sort();
    assert.deepEqual(d.devices.map((x: any) => x.device_id), ids);
    const first = d.devices.find((x: any) => x.device_id === u.deviceId);
    const other = d.devices.find((x: any) => x.device_id === second.deviceId);
    assert.equal(first.presence, 'online');
    assert.equal(first.last_active_ago, 500);
    assert.equal(first.syncing, false);
    assert.equal(other.presence, 'unavailable');
    assert.ok(!('last_active_ago' in other), 'idle is not activity');
  });

  test('PUT /presence/device: online, idle (= unavailable), offline; anything else 400 M_BAD_JSON', async () => {
    const u = await ctx.user('dev');
    await setDeviceState(u, 'idle');
    assert.equal((await getStatus(u, u)).presence, 'unavailable');
    await setDeviceState(u, 'online');
    assert.equal((await getStatus(u, u)).presence, 'online');
    await setDeviceState(u, 'offline');
    assert.equal((await getStatus(u, u)).presence, 'offline');
    assertError(await u.put(`${UNSTABLE}/presence/device`, { state: 'unavailable' }), 400, 'M_BAD_JSON');
    assertError(await u.put(`${UNSTABLE}/presence/device`, { state: 1 }), 400, 'M_BAD_JSON');
    assertError(await u.put(`${UNSTABLE}/presence/device`, { state: 'online' }, { token: null }), 401, 'M_MISSING_TOKEN');
  });

  test('PUT /presence/appear_offline sets and clears the per-user flag; non-boolean is 400 M_BAD_JSON', async () => {
    const u = await ctx.user('flag');
    await setAppearOffline(u, true);
    assert.equal((await selfDetail(u)).appear_offline, true);
    assert.equal((await getStatus(u, u)).appear_offline, true);
    await setAppearOffline(u, false);
    assert.equal((await selfDetail(u)).appear_offline, false);
    assert.ok(!('appear_offline' in (await getStatus(u, u))));
    assertError(await u.put(`${UNSTABLE}/presence/appear_offline`, { appear_offline: 'yes' }), 400, 'M_BAD_JSON');
  });
});

describe('capability', () => {
  test('/capabilities has org.presenced.presence {enabled: true}; /versions advertises the unstable feature', async () => {
    const u = await ctx.user('caps');
    const caps = assertOk(await u.get(`${V3}/capabilities`)).capabilities;
    assert.deepEqual(caps['org.presenced.presence'], { enabled: true });
    const versions = assertOk(await u.get('/_matrix/client/versions', { token: null }));
    assert.equal(versions.unstable_features['org.presenced.presence'], true);
  });
});

describe('presence config validation (buildConfig)', () => {
  const raw = (presence: Record<string, unknown>) => ({ data_dir: '/tmp/presenced-unused', presence });
  const rejects = (presence: Record<string, unknown>, key: string) =>
    assert.throws(() => buildConfig(raw(presence)), (e: unknown) => e instanceof ConfigError && e.message.includes(key), JSON.stringify(presence));

  test('defaults: 5 min idle, 30 s sync_online_timeout, 60 s granularity, 256 status_msg, enabled', () => {
    const c = buildConfig({ data_dir: '/tmp/presenced-unused' });
    assert.equal(c.presence.enabled, true);
    assert.equal(c.presence.idleTimeoutMs, 300_000);
    assert.equal(c.presence.syncOnlineTimeoutMs, 30_000);
    assert.equal(c.presence.lastActiveGranularityMs, 60_000);
    assert.equal(c.presence.maxStatusMsgLength, 256);
    assert.equal(c.presence.includeOfflineUsersOnSync, false);
    assert.equal(c.presence.syncIsActivity, false);
  });

  test('durations parse with units', () => {
    const c = buildConfig(raw({ idle_timeout: '2m', sync_online_timeout: '10s', last_active_granularity: 1500 }));
    assert.equal(c.presence.idleTimeoutMs, 120_000);
    assert.equal(c.presence.syncOnlineTimeoutMs, 10_000);
    assert.equal(c.presence.lastActiveGranularityMs, 1500);
  });

  test('idle_timeout <= last_active_granularity is rejected', () => {
    rejects({ idle_timeout: '60s', last_active_granularity: '60s' }, 'presence.idle_timeout');
    rejects({ idle_timeout: '30s' }, 'presence.idle_timeout');
    rejects({ idle_timeout: '1m', last_active_granularity: '2m' }, 'presence.idle_timeout');
  });

  test('last_active_granularity and sync_online_timeout must be > 0; bad durations rejected', () => {
    rejects({ last_active_granularity: 0 }, 'presence.last_active_granularity');
    rejects({ sync_online_timeout: 0 }, 'presence.sync_online_timeout');
    rejects({ idle_timeout: 'soon' }, 'presence.idle_timeout');
    rejects({ enabled: 'maybe' }, 'presence.enabled');
  });
});
