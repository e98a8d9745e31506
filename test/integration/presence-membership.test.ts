/**
 * Issue 3 items 7 and 8: profile changes push m.presence with displayname and avatar_url;
 * joins introduce members' presence both ways; leaving the last shared room stops updates
 * (GET 403); logging out the last device or deactivating makes the user offline.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import type { TestClient } from '../helpers/client.js';
import { V3, assertError, assertOk, enc, roomPath, sharedRoom, useServer } from '../helpers/integration.js';
import {
  countWakes, getStatus, longPoll, presenceEvents, presenceIn, putStatusOk, secondLogin, sendersIn, statusPath, syncNow,
} from './presence-helpers.js';

const clock = new ManualClock();
const ctx = useServer({ clock });
const DROP = 30_000;

const observe = (a: TestClient, params: Record<string, string | number> = {}) => syncNow(a, { set_presence: 'offline', ...params });

async function quietPair(prefix: string): Promise<{ a: TestClient; b: TestClient; roomId: string }> {
  const a = await ctx.user(`${prefix}a`);
  const b = await ctx.user(`${prefix}b`);
  const roomId = await sharedRoom(a, [b]);
  clock.advance(DROP);
  return { a, b, roomId };
}

describe('profile propagation (presence half)', () => {
  test('a displayname change pushes room-mates an m.presence carrying displayname and avatar_url', async () => {
    const { a, b } = await quietPair('prof');
    await putStatusOk(b, 'online', 'busy');
    assertOk(await b.put(`${V3}/profile/${enc(b.userId)}/avatar_url`, { avatar_url: 'mxc://localhost/bee' }));
    const s1 = await observe(a);
    const poll = await longPoll(ctx.server, a, s1.next_batch, 60_000, { set_presence: 'offline' });
    assertOk(await b.put(`${V3}/profile/${enc(b.userId)}/displayname`, { displayname: 'Bee' }));
    const res = await poll.result; // woken without the clock moving
    assert.equal(res.status, 200);
    // The member events are written first and may wake A before the presence update is
    // published; then it arrives in the very next sync.
    const content = presenceIn(res.body, b) ?? presenceIn(await observe(a, { since: res.body.next_batch }), b);
    assert.ok(content, 'no m.presence for B');
    assert.equal(content.displayname, 'Bee');
    assert.equal(content.avatar_url, 'mxc://localhost/bee');
    assert.equal(content.presence, 'online');
    assert.equal(content.status_msg, 'busy');
  });

  test('an avatar change alone also pushes both fields', async () => {
    const { a, b } = await quietPair('avatar');
    assertOk(await b.put(`${V3}/profile/${enc(b.userId)}/displayname`, { displayname: 'Bea' }));
    const s1 = await observe(a);
    assertOk(await b.put(`${V3}/profile/${enc(b.userId)}/avatar_url`, { avatar_url: 'mxc://localhost/new' }));
    const s2 = await observe(a, { since: s1.next_batch });
    const content = presenceIn(s2, b);
    assert.equal(content?.displayname, 'Bea');
    assert.equal(content?.avatar_url, 'mxc://localhost/new');
  });
});

describe('joining a room', () => {
  test("delivers the members' current presence to the joiner and the joiner's to the members", async () => {
    const a = await ctx.user('joina');
    const b = await ctx.user('joinb');
    const c = await ctx.user('joinc');
    const roomId = await a.createRoom({ invite: [b.userId, c.userId] });
    await c.join(roomId);
    clock.advance(DROP); // everyone offline; C stays so
    await putStatusOk(a, 'online', 'host here');
    await putStatusOk(b, 'unavailable', 'joiner');
    const sa = await observe(a);
    const sb = await observe(b);
    assert.equal(presenceIn(sa, b), undefined, 'an invitee is not visible');
    assert.equal(presenceIn(sb, a), undefined);

    clock.advance(1000);
    await b.join(roomId);
    const ia = await observe(a, { since: sa.next_batch });
    const ib = await observe(b, { since: sb.next_batch });
    // The join is activity: B is online now.
    assert.deepEqual(presenceIn(ia, b), { presence: 'online', last_active_ago: 0, currently_active: true, status_msg: 'joiner' });
    // A did not change, yet B learns A's presence.
    assert.deepEqual(presenceIn(ib, a), { presence: 'online', last_active_ago: 1000, currently_active: true, status_msg: 'host here' });
    assert.equal(presenceIn(ib, c), undefined, 'offline members are not introduced');
    assert.ok(!sendersIn(ia).includes(c.userId));
  });

  test('the joiner learns an unchanged member even when it had nothing of its own to announce', async () => {
    const a = await ctx.user('quieta');
    const b = await ctx.user('quietb');
    const roomId = await a.createRoom({ invite: [b.userId] });
    await putStatusOk(a, 'online', 'unchanged');
    const sb = await observe(b);
    const poll = await longPoll(ctx.server, b, sb.next_batch, 60_000, { set_presence: 'offline' });
    // B's own join wakes B's long-poll, and the response introduces A.
    await b.join(roomId);
    const res = await poll.result;
    assert.equal(presenceIn(res.body, a)?.status_msg, 'unchanged');
  });

  test("a join introduces the new room's members only, not everyone the joiner already sees", async () => {
    const a = await ctx.user('onlya');
    const old = await ctx.user('onlyold');
    const fresh = await ctx.user('onlynew');
    await sharedRoom(a, [old]);
    const roomId = await fresh.createRoom({ invite: [a.userId] });
    await putStatusOk(old, 'online', 'already known');
    await putStatusOk(fresh, 'online', 'new to a');
    const s1 = await observe(a);
    assert.equal(presenceIn(s1, old)?.status_msg, 'already known');
    await a.join(roomId);
    const s2 = await observe(a, { since: s1.next_batch });
    assert.equal(presenceIn(s2, fresh)?.status_msg, 'new to a');
    assert.equal(presenceIn(s2, old), undefined, 'an unchanged contact from another room is not sent again');
  });
});

describe('leaving', () => {
  test('after the last shared room is left, GET is 403 and updates stop', async () => {
    const a = await ctx.user('leavea');
    const b = await ctx.user('leaveb');
    const r1 = await sharedRoom(a, [b]);
    const r2 = await sharedRoom(a, [b]);
    clock.advance(DROP);
    assertOk(await b.post(`${roomPath(r1, 'leave')}`, {}));
    await putStatusOk(b, 'online', 'still here');
    assert.equal((await getStatus(a, b)).status_msg, 'still here', 'one shared room left');

    assertOk(await b.post(`${roomPath(r2, 'leave')}`, {}));
    assertError(await a.get(statusPath(b.userId)), 403, 'M_FORBIDDEN');
    assertError(await b.get(statusPath(a.userId)), 403, 'M_FORBIDDEN');

    const s1 = await observe(a);
    assert.equal(presenceIn(s1, b), undefined, 'not in a snapshot');
    const wakes = countWakes(ctx.server);
    try {
      const poll = await longPoll(ctx.server, a, s1.next_batch, 2000, { set_presence: 'offline' });
      await putStatusOk(b, 'unavailable', 'gone');
      assert.equal(wakes.of(a.userId), 0);
      clock.advance(2000);
      const res = await poll.result;
      assert.deepEqual(presenceEvents(res.body), []);
    } finally {
      wakes.stop();
    }
  });

  test('being kicked from the last shared room has the same effect', async () => {
    const { a, b, roomId } = await quietPair('kick');
    assertOk(await a.post(roomPath(roomId, 'kick'), { user_id: b.userId }));
    assertError(await a.get(statusPath(b.userId)), 403, 'M_FORBIDDEN');
    const s1 = await observe(a);
    await putStatusOk(b, 'online', 'kicked');
    assert.equal(presenceIn(await observe(a, { since: s1.next_batch }), b), undefined);
  });
});

describe('devices going away', () => {
  test('logging out one device keeps the user online; logging out the last makes it offline at once', async () => {
    const { a, b } = await quietPair('logout');
    const b2 = await secondLogin(ctx.url, b);
    await syncNow(b);
    await syncNow(b2);
    const s1 = await observe(a);
    assertOk(await b.post(`${V3}/logout`, {}));
    assert.equal((await getStatus(a, b)).presence, 'online');
    assertOk(await b2.post(`${V3}/logout`, {}));
    assert.deepEqual(await getStatus(a, b), { presence: 'offline', last_active_ago: 0, status_msg: null });
    assert.deepEqual(presenceIn(await observe(a, { since: s1.next_batch }), b), { presence: 'offline', last_active_ago: 0 });
  });

  test('logout/all makes the user offline', async () => {
    const { a, b } = await quietPair('logoutall');
    const b2 = await secondLogin(ctx.url, b);
    await syncNow(b);
    await syncNow(b2);
    assertOk(await b.post(`${V3}/logout/all`, {}));
    assert.equal((await getStatus(a, b)).presence, 'offline');
  });

  test('deactivation makes the user offline', async () => {
    const { a, b } = await quietPair('deact');
    await syncNow(b);
    await putStatusOk(b, 'online', 'leaving for good');
    const s1 = await observe(a);
    assert.equal(presenceIn(s1, b).presence, 'online');
    assertOk(await b.post(`${V3}/account/deactivate`, {
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: b.userId }, password: 'correct horse' },
    }));
    const s2 = await observe(a, { since: s1.next_batch });
    assert.equal(presenceIn(s2, b)?.presence, 'offline');
    assert.equal((await getStatus(a, b)).presence, 'offline');
  });
});
