/**
 * Issue 3 item 9, `presence.enabled: false`: the capability says so, and nothing is
 * tracked or sent: PUT is accepted and ignored, GET answers offline, /sync carries no
 * presence and long-polls are not woken by it, nothing is stored.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { TestClient } from '../helpers/client.js';
import { V3, assertError, assertOk, sharedRoom, uniqueName, useServer } from '../helpers/integration.js';
import { startTestServer } from '../helpers/server.js';
import {
  UNSTABLE, countWakes, getStatus, longPoll, presenceEvents, putStatus, putStatusOk, selfDetail, statusPath, syncNow,
} from './presence-helpers.js';

const clock = new ManualClock();
const ctx = useServer({ clock, config: { presence: { enabled: false } } });

describe('presence.enabled: false', () => {
  test('the capability says org.presenced.presence {enabled: false}', async () => {
    const u = await ctx.user('cap');
    assert.deepEqual(assertOk(await u.get(`${V3}/capabilities`)).capabilities['org.presenced.presence'], { enabled: false });
  });

  test('PUT is answered 200 {} and ignored; GET answers offline with status_msg null', async () => {
    const a = await ctx.user('puta');
    const b = await ctx.user('putb');
    const roomId = await sharedRoom(a, [b]);
    await putStatusOk(b, 'online', 'ignored');
    await b.send(roomId, 'activity too');
    await syncNow(b);
    assert.deepEqual(await getStatus(a, b), { presence: 'offline', status_msg: null });
    assert.deepEqual(await getStatus(b, b), { presence: 'offline', status_msg: null });
    assert.equal((await selfDetail(b)).presence, 'offline');
    assert.deepEqual(assertOk(await b.put(`${UNSTABLE}/presence/device`, { state: 'online' })), {});
    assert.equal((await getStatus(a, b)).presence, 'offline');
  });

  test('request validation and visibility rules still apply', async () => {
    const a = await ctx.user('vala');
    const stranger = await ctx.user('valb');
    assertError(await putStatus(a, 'away'), 400, 'M_INVALID_PARAM');
    assertError(await a.put(statusPath(stranger.userId), { presence: 'online' }), 403, 'M_FORBIDDEN');
    assertError(await a.get(statusPath(stranger.userId)), 403, 'M_FORBIDDEN');
  });

  test('/sync has no presence events, and presence never wakes a long-poll', async () => {
    const a = await ctx.user('synca');
    const b = await ctx.user('syncb');
    await sharedRoom(a, [b]);
    await putStatusOk(b, 'online', 'hello');
    const s1 = await syncNow(a);
    assert.deepEqual(presenceEvents(s1), []);
    const wakes = countWakes(ctx.server);
    try {
      const poll = await longPoll(ctx.server, a, s1.next_batch, 1000);
      await putStatusOk(b, 'unavailable', 'bye');
      await syncNow(b);
      assert.equal(wakes.of(a.userId), 0);
      clock.advance(1000);
      const res = await poll.result;
      assert.deepEqual(presenceEvents(res.body), []);
    } finally {
      wakes.stop();
    }
  });

  test('nothing is stored', async () => {
    const u = await ctx.user('store');
    await putStatusOk(u, 'online', 'x');
    clock.advance(5000);
    assert.deepEqual(await ctx.server.server.storage.presence.loadPresence(), []);
  });

  test('state stored while presence was on is not served once it is switched off', async () => {
    const on = await startTestServer();
    let a = await new TestClient(on.url).register(uniqueName('wason'));
    let b = await new TestClient(on.url).register(uniqueName('wasonb'));
    await sharedRoom(a, [b]);
    await putStatusOk(b, 'online', 'from the old run');
    await putStatusOk(a, 'online', 'mine');
    assert.equal((await getStatus(a, b)).status_msg, 'from the old run');
    await on.close({ keepData: true });

    const off = await startTestServer({ dataDir: on.dataDir, config: { presence: { enabled: false } } });
    try {
      const again = (c: TestClient) => Object.assign(new TestClient(off.url), { userId: c.userId, deviceId: c.deviceId, accessToken: c.accessToken });
      a = again(a);
      b = again(b);
      assert.deepEqual(await getStatus(a, b), { presence: 'offline', status_msg: null });
      const own = await selfDetail(a);
      assert.equal(own.presence, 'offline');
      assert.equal(own.status_msg, null);
      assert.deepEqual(own.devices, []);
      assert.deepEqual(presenceEvents(await syncNow(a)), []);
      const versions = assertOk(await a.get('/_matrix/client/versions', { token: null }));
      assert.equal(versions.unstable_features['org.presenced.presence'], false);
    } finally {
      await off.close();
    }
  });
});
