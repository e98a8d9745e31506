/**
 * Issue 3 item 9, `presence.enabled: false`: the capability says so, and nothing is
 * tracked or sent: PUT is accepted and ignored, GET answers offline, /sync carries no
 * presence and long-polls are not woken by it, nothing is stored.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { V3, assertError, assertOk, sharedRoom, useServer } from '../helpers/integration.js';
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
});
