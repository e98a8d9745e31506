/**
 * Issue 3 items 3 and 4 (set_presence): per-device union, idle, activity, the drop after
 * the last sync, currently_active and its suppression, over real HTTP. Time only moves
 * through the injected ManualClock.
 *
 * Observers here are "quiet": after the setup settles they only sync with
 * set_presence=offline, which presence ignores, so their own presence never changes and
 * never wakes their own long-polls.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import type { TestClient } from '../helpers/client.js';
import { sharedRoom, useServer } from '../helpers/integration.js';
import {
  countWakes, getStatus, longPoll, presenceIn, putStatusOk, roundTrip, secondLogin, selfDetail, setDeviceState, syncNow,
} from './presence-helpers.js';

const clock = new ManualClock();
const ctx = useServer({ clock });

const IDLE = 300_000;
const DROP = 30_000;
const GRANULARITY = 60_000;

/** Syncs with timeout 0 every `step` ms for `total` ms, so the device stays connected. */
async function keepSyncing(c: TestClient, total: number, step = 20_000): Promise<void> {
  for (let left = total; left > 0; left -= step) {
    await syncNow(c);
    clock.advance(Math.min(step, left));
  }
}

/** A and B share a room; the setup's activity has settled (everyone dropped to offline). */
async function quietPair(prefix: string): Promise<{ a: TestClient; b: TestClient; roomId: string }> {
  const a = await ctx.user(`${prefix}a`);
  const b = await ctx.user(`${prefix}b`);
  const roomId = await sharedRoom(a, [b]);
  clock.advance(DROP);
  assert.equal((await getStatus(a, b)).presence, 'offline');
  assert.equal((await getStatus(a, a)).presence, 'offline');
  return { a, b, roomId };
}

/** A sync of a quiet observer: never counted by presence. */
const observe = (a: TestClient, since?: string) => syncNow(a, { set_presence: 'offline', ...(since ? { since } : {}) });

describe('per-device presence and the union', () => {
  test('the user is the highest state over their devices; each device counts on its own', async () => {
    const { a, b } = await quietPair('union');
    const b2 = await secondLogin(ctx.url, b);
    await syncNow(b);
    clock.advance(100);
    await syncNow(b2);
    let d = await selfDetail(b);
    assert.deepEqual(d.devices.map((x: any) => x.presence), ['online', 'online']);
    assert.equal(d.decided_by, b2.deviceId, 'ties go to the newest last_active');
    assert.equal(d.last_active_ago, 0);

    await setDeviceState(b2, 'idle');
    assert.equal((await getStatus(a, b)).presence, 'online', 'one idle device does not make the user idle');
    d = await selfDetail(b);
    assert.equal(d.decided_by, b.deviceId);

    await setDeviceState(b, 'offline');
    const body = await getStatus(a, b);
    assert.equal(body.presence, 'unavailable', 'the union falls to the other device');
    assert.ok(!('currently_active' in body));

    await b2.send((await b2.createRoom()), 'back');
    assert.equal((await getStatus(a, b)).presence, 'online', 'activity on the idle device raises it');
    d = await selfDetail(b);
    const byId = Object.fromEntries(d.devices.map((x: any) => [x.device_id, x.presence]));
    assert.deepEqual(byId, { [b.deviceId]: 'offline', [b2.deviceId]: 'online' });
  });

  test("status_msg is per user: one device's PUT is seen whatever device decides the union", async () => {
    const { a, b } = await quietPair('msg');
    const b2 = await secondLogin(ctx.url, b);
    await putStatusOk(b, 'online', 'from one');
    clock.advance(100);
    await setDeviceState(b2, 'online');
    const d = await selfDetail(b2);
    assert.equal(d.decided_by, b2.deviceId);
    assert.equal(d.status_msg, 'from one');
    assert.equal((await getStatus(a, b)).status_msg, 'from one');
  });
});

describe('idle and activity', () => {
  test('no activity for 5 minutes: unavailable; a bare sync is not activity; sending a message brings it back online', async () => {
    const { a, b, roomId } = await quietPair('idle');
    await syncNow(b); // a client opening: online, last_active now
    const t1 = (await observe(a)).next_batch;
    await keepSyncing(b, IDLE - 20_000);
    await syncNow(b);
    clock.advance(20_000 - 1);
    let body = await getStatus(a, b);
    assert.deepEqual(body, { presence: 'online', last_active_ago: IDLE - 1, currently_active: false, status_msg: null });

    clock.advance(1);
    body = await getStatus(a, b);
    assert.deepEqual(body, { presence: 'unavailable', last_active_ago: IDLE, status_msg: null });
    const inc = await observe(a, t1);
    assert.deepEqual(presenceIn(inc, b), { presence: 'unavailable', last_active_ago: IDLE });

    await syncNow(b);
    assert.equal((await getStatus(a, b)).presence, 'unavailable', 'a bare /sync does not end idleness');

    clock.advance(5_000);
    await b.send(roomId, 'here again');
    body = await getStatus(a, b);
    assert.deepEqual(body, { presence: 'online', last_active_ago: 0, currently_active: true, status_msg: null });
    const back = await observe(a, inc.next_batch);
    assert.deepEqual(presenceIn(back, b), { presence: 'online', last_active_ago: 0, currently_active: true });
  });

  test('other pro-active events raise an idle device: typing true, receipt, read marker, state event', async () => {
    const { a, b, roomId } = await quietPair('proactive');
    const eventId = await a.send(roomId, 'read me');
    clock.advance(DROP);
    const enc = encodeURIComponent;
    const room = `/_matrix/client/v3/rooms/${enc(roomId)}`;
    const actions: [string, () => Promise<unknown>][] = [
      ['typing', () => b.put(`${room}/typing/${enc(b.userId)}`, { typing: true, timeout: 1000 })],
      ['receipt', () => b.post(`${room}/receipt/m.read/${enc(eventId)}`, {})],
      ['read marker', () => b.post(`${room}/read_markers`, { 'm.fully_read': eventId })],
      ['state event', () => b.put(`${room}/state/m.room.member/${enc(b.userId)}`, { membership: 'join', displayname: 'B' })],
    ];
    for (const [what, act] of actions) {
      await setDeviceState(b, 'idle');
      assert.equal((await getStatus(a, b)).presence, 'unavailable');
      const res = (await act()) as { status: number };
      assert.equal(res.status, 200, what);
      assert.equal((await getStatus(a, b)).presence, 'online', `${what} is activity`);
    }
  });

  test('membership actions and redactions are activity: createRoom, invite, kick, ban, join, leave, redact', async () => {
    const { a, b } = await quietPair('memberact');
    const c = await ctx.user('memberactc');
    const enc = encodeURIComponent;
    const room = (id: string, ...rest: string[]) => `/_matrix/client/v3/rooms/${enc(id)}/${rest.map(enc).join('/')}`;
    const own = await b.createRoom();
    const eventId = await b.send(own, 'to redact');
    const otherRoom = await c.createRoom({ invite: [b.userId] });
    const actions: [string, () => Promise<unknown>][] = [
      ['createRoom', () => b.post('/_matrix/client/v3/createRoom', {})],
      ['invite', () => b.post(room(own, 'invite'), { user_id: c.userId })],
      ['kick', () => b.post(room(own, 'kick'), { user_id: c.userId })],
      ['ban', () => b.post(room(own, 'ban'), { user_id: c.userId })],
      ['join', () => b.join(otherRoom)],
      ['leave', () => b.post(room(otherRoom, 'leave'), {})],
      ['redact', () => b.put(room(own, 'redact', eventId, `r${Date.now()}`), {})],
    ];
    for (const [what, act] of actions) {
      await setDeviceState(b, 'idle');
      assert.equal((await getStatus(a, b)).presence, 'unavailable');
      const res = (await act()) as { status: number } | undefined;
      if (res) assert.equal(res.status, 200, `${what}: ${JSON.stringify(res)}`);
      assert.equal((await getStatus(a, b)).presence, 'online', `${what} is activity`);
    }
  });

  test('typing false is not activity', async () => {
    const { a, b, roomId } = await quietPair('typingfalse');
    await setDeviceState(b, 'idle');
    const res = await b.put(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(b.userId)}`, { typing: false });
    assert.equal(res.status, 200);
    assert.equal((await getStatus(a, b)).presence, 'unavailable');
  });
});

describe('dropping a device after its last sync', () => {
  test('offline sync_online_timeout (30 s) after the last /sync ended, with no activity', async () => {
    const { a, b } = await quietPair('drop');
    await syncNow(b);
    const t1 = (await observe(a)).next_batch;
    clock.advance(DROP - 1);
    assert.equal((await getStatus(a, b)).presence, 'online');
    clock.advance(1);
    assert.deepEqual(await getStatus(a, b), { presence: 'offline', last_active_ago: DROP, status_msg: null });
    assert.deepEqual(presenceIn(await observe(a, t1), b), { presence: 'offline', last_active_ago: DROP });
  });

  test('activity in that window postpones the drop to 30 s after the activity', async () => {
    const { a, b, roomId } = await quietPair('postpone');
    await syncNow(b);
    clock.advance(20_000);
    await b.send(roomId, 'still here');
    clock.advance(DROP - 1);
    assert.equal((await getStatus(a, b)).presence, 'online');
    clock.advance(1);
    assert.equal((await getStatus(a, b)).presence, 'offline');
  });

  test('a /sync in flight is never dropped; its own long-poll is woken by its currently_active turning false', async () => {
    const { a, b } = await quietPair('inflight');
    const first = await syncNow(b);
    const poll = await longPoll(ctx.server, b, first.next_batch, 10 * 60_000);
    clock.advance(45_000);
    assert.equal((await getStatus(a, b)).presence, 'online', 'not dropped at 30 s while a long-poll is parked');
    assert.equal(poll.settled(), false);
    clock.advance(GRANULARITY - 45_000);
    const res = await poll.result;
    assert.equal(res.status, 200);
    assert.deepEqual(presenceIn(res.body, b), { presence: 'online', last_active_ago: GRANULARITY, currently_active: false });
    // The long-poll ended at t+60 s: dropped 30 s after that.
    clock.advance(DROP - 1);
    assert.equal((await getStatus(a, b)).presence, 'online');
    clock.advance(1);
    assert.equal((await getStatus(a, b)).presence, 'offline');
  });
});

describe('currently_active', () => {
  test('turns false 60 s after the last activity; last_active moving meanwhile neither wakes nor adds an event', async () => {
    const { a, b, roomId } = await quietPair('ca');
    const privateRoom = await b.createRoom();
    clock.advance(DROP);
    await b.send(roomId, 'hi'); // t1
    await syncNow(b);
    const s1 = await observe(a);
    assert.deepEqual(presenceIn(s1, b), { presence: 'online', last_active_ago: 0, currently_active: true });

    const wakes = countWakes(ctx.server);
    try {
      const poll = await longPoll(ctx.server, a, s1.next_batch, 10 * 60_000, { set_presence: 'offline' });
      clock.advance(20_000);
      await b.send(privateRoom, 'elsewhere'); // t1+20 s: activity A cannot see
      await syncNow(b);
      assert.equal((await getStatus(a, b)).last_active_ago, 0, 'last_active moved');
      clock.advance(20_000);
      await syncNow(b);
      clock.advance(20_000);
      await syncNow(b);
      clock.advance(GRANULARITY - 40_000 - 1); // t1+80 s - 1 ms
      await roundTrip(a);
      assert.equal(wakes.of(a.userId), 0, 'A was never woken while currently_active stayed true');
      assert.equal(poll.settled(), false);
      const quiet = await observe(a, s1.next_batch);
      assert.equal(presenceIn(quiet, b), undefined, 'no new presence event for B');

      clock.advance(1);
      const res = await poll.result;
      assert.equal(res.status, 200);
      assert.deepEqual(presenceIn(res.body, b), { presence: 'online', last_active_ago: GRANULARITY, currently_active: false });
      assert.equal(wakes.of(a.userId), 1);
    } finally {
      wakes.stop();
    }
  });

  test('activity after currently_active turned false is a change again (true)', async () => {
    const { a, b, roomId } = await quietPair('ca2');
    await b.send(roomId, 'one');
    await keepSyncing(b, GRANULARITY);
    await syncNow(b);
    const s1 = await observe(a);
    assert.equal(presenceIn(s1, b).currently_active, false);
    await b.send(roomId, 'two');
    const s2 = await observe(a, s1.next_batch);
    assert.deepEqual(presenceIn(s2, b), { presence: 'online', last_active_ago: 0, currently_active: true });
  });
});

describe('set_presence on /sync', () => {
  test('offline: the sync does not mark the device online and wakes nobody', async () => {
    const { a, b } = await quietPair('spoff');
    const s1 = await observe(a);
    const wakes = countWakes(ctx.server);
    try {
      const poll = await longPoll(ctx.server, a, s1.next_batch, 1000, { set_presence: 'offline' });
      await syncNow(b, { set_presence: 'offline' });
      await syncNow(b, { set_presence: 'offline' });
      assert.equal((await getStatus(a, b)).presence, 'offline');
      assert.deepEqual((await selfDetail(b)).devices, [], 'not even counted as a connection');
      await roundTrip(a);
      assert.equal(wakes.of(a.userId), 0);
      clock.advance(1000);
      const res = await poll.result;
      assert.equal(presenceIn(res.body, b), undefined);
    } finally {
      wakes.stop();
    }
  });

  test('unavailable: marks the device unavailable on every such sync, never as activity', async () => {
    const { a, b } = await quietPair('spun');
    await syncNow(b, { set_presence: 'unavailable' });
    assert.deepEqual(await getStatus(a, b), { presence: 'unavailable', last_active_ago: DROP, status_msg: null });
    await syncNow(b); // the client came back to the foreground: online, and that is activity
    assert.deepEqual(await getStatus(a, b), { presence: 'online', last_active_ago: 0, currently_active: true, status_msg: null });
    clock.advance(1000);
    await syncNow(b, { set_presence: 'unavailable' });
    assert.deepEqual(await getStatus(a, b), { presence: 'unavailable', last_active_ago: 1000, status_msg: null });
  });

  test('a repeated default sync never clobbers status_msg, nor a manual unavailable', async () => {
    const { a, b } = await quietPair('spmsg');
    await syncNow(b);
    await putStatusOk(b, 'unavailable', 'in a meeting');
    await syncNow(b);
    await syncNow(b);
    const body = await getStatus(a, b);
    assert.equal(body.presence, 'unavailable');
    assert.equal(body.status_msg, 'in a meeting');
  });

  test('an invalid set_presence is 400 M_INVALID_PARAM', async () => {
    const b = await ctx.user('spbad');
    const res = await b.sync({ timeout: 0, set_presence: 'busy' });
    assert.equal(res.status, 400);
    assert.equal(res.body.errcode, 'M_INVALID_PARAM');
  });
});
