/**
 * Issue 3 items 4, 5 and 11: the /sync presence section (initial, full-state, incremental),
 * long-poll wake-ups, presence filters, appear-offline, free_for_chat, and the fan-out
 * reaching exactly the observers, over real HTTP with a ManualClock.
 *
 * Observers that must not change presence themselves sync with set_presence=offline
 * (ignored by presence) after the setup's activity has settled.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import type { TestClient } from '../helpers/client.js';
import { V3, assertOk, enc, sharedRoom, useServer } from '../helpers/integration.js';
import {
  countWakes, getStatus, longPoll, parked, presenceEvents, presenceIn, putStatusOk, roundTrip, secondLogin, selfDetail,
  sendersIn, setAppearOffline, setDeviceState, syncNow,
} from './presence-helpers.js';

const clock = new ManualClock();
const ctx = useServer({ clock });
const DROP = 30_000;

/** `n` users in one room (the first created it), with the setup's activity settled: all offline. */
async function quietRoom(prefix: string, n: number): Promise<{ users: TestClient[]; roomId: string }> {
  const users: TestClient[] = [];
  for (let i = 0; i < n; i++) users.push(await ctx.user(`${prefix}${i}`));
  const roomId = await sharedRoom(users[0], users.slice(1));
  clock.advance(DROP);
  return { users, roomId };
}

const observe = (a: TestClient, params: Record<string, string | number> = {}) => syncNow(a, { set_presence: 'offline', ...params });

describe('initial and full-state sync', () => {
  test('lists every visible user who is not offline, with their current presence', async () => {
    const { users: [a, b, c] } = await quietRoom('init', 3);
    const stranger = await ctx.user('initstranger');
    await putStatusOk(b, 'online', 'hey');
    await putStatusOk(stranger, 'online');
    clock.advance(10);
    const first = await observe(a);
    assert.deepEqual(sendersIn(first), [b.userId], 'offline A and C and invisible stranger left out');
    assert.deepEqual(presenceIn(first, b), { presence: 'online', last_active_ago: 10, currently_active: true, status_msg: 'hey' });
    assert.equal(presenceIn(first, c), undefined);

    // A default sync makes A online, and A sees itself.
    const own = await syncNow(a);
    assert.deepEqual(sendersIn(own), [a.userId, b.userId].sort());

    // full_state with a since token is a snapshot again, not a delta.
    const full = await observe(a, { since: own.next_batch, full_state: 'true' });
    assert.deepEqual(sendersIn(full), [a.userId, b.userId].sort());
  });

  describe('with presence.include_offline_users_on_sync', () => {
    const offClock = new ManualClock();
    const off = useServer({ clock: offClock, config: { presence: { include_offline_users_on_sync: true } } });

    test('offline visible users are listed as offline too; strangers still are not', async () => {
      const a = await off.user('ia');
      const b = await off.user('ib');
      const c = await off.user('ic');
      const stranger = await off.user('istranger');
      await sharedRoom(a, [b, c]);
      offClock.advance(DROP);
      await putStatusOk(b, 'online');
      await putStatusOk(stranger, 'online');
      const first = assertOk(await a.sync({ timeout: 0, set_presence: 'offline' }));
      assert.deepEqual(sendersIn(first), [a.userId, b.userId, c.userId].sort());
      assert.deepEqual(presenceIn(first, c), { presence: 'offline', last_active_ago: DROP });
      assert.equal(presenceIn(first, b).presence, 'online');
    });
  });
});

describe('incremental sync', () => {
  test('each changed visible user once, in their latest state; nothing when nothing changed', async () => {
    const { users: [a, b, c] } = await quietRoom('inc', 3);
    const s1 = await observe(a);
    await putStatusOk(b, 'online', 'first');
    clock.advance(1000);
    await putStatusOk(b, 'unavailable', 'second');
    clock.advance(1000);
    await putStatusOk(b, 'online', 'third');
    await putStatusOk(c, 'unavailable');
    const s2 = await observe(a, { since: s1.next_batch });
    assert.deepEqual(sendersIn(s2), [b.userId, c.userId].sort());
    assert.deepEqual(presenceIn(s2, b), { presence: 'online', last_active_ago: 0, currently_active: true, status_msg: 'third' });
    assert.deepEqual(presenceIn(s2, c), { presence: 'unavailable', last_active_ago: DROP + 2000 });
    const s3 = await observe(a, { since: s2.next_batch });
    assert.deepEqual(presenceEvents(s3), []);
  });

  test('changes of users A shares no room with never appear', async () => {
    const { users: [a] } = await quietRoom('incinv', 1);
    const stranger = await ctx.user('incstranger');
    const s1 = await observe(a);
    await putStatusOk(stranger, 'online', 'not for you');
    const s2 = await observe(a, { since: s1.next_batch });
    assert.deepEqual(presenceEvents(s2), []);
  });
});

describe('long-polls', () => {
  test('wake on a visible presence change, before their timeout, with the change', async () => {
    const { users: [a, b] } = await quietRoom('wake', 2);
    const s1 = await observe(a);
    const poll = await longPoll(ctx.server, a, s1.next_batch, 60_000, { set_presence: 'offline' });
    await putStatusOk(b, 'online', 'ping');
    const res = await poll.result; // the clock never moved
    assert.equal(res.status, 200);
    assert.deepEqual(presenceIn(res.body, b), { presence: 'online', last_active_ago: 0, currently_active: true, status_msg: 'ping' });
  });

  test('do not wake on an invisible change (a user sharing no room): they run to their timeout', async () => {
    const { users: [a] } = await quietRoom('nowake', 1);
    const stranger = await ctx.user('nowakestranger');
    const s1 = await observe(a);
    const wakes = countWakes(ctx.server);
    try {
      const poll = await longPoll(ctx.server, a, s1.next_batch, 5000, { set_presence: 'offline' });
      await putStatusOk(stranger, 'online', 'elsewhere');
      await stranger.send(await stranger.createRoom(), 'alone');
      await syncNow(stranger);
      await setAppearOffline(stranger, true);
      await roundTrip(a);
      assert.equal(wakes.of(a.userId), 0, 'A was not woken');
      assert.ok(wakes.of(stranger.userId) > 0, 'the stranger itself was');
      assert.equal(poll.settled(), false);
      clock.advance(4999);
      await roundTrip(a);
      assert.equal(poll.settled(), false, 'still parked 1 ms before its timeout');
      clock.advance(1);
      const res = await poll.result;
      assert.equal(res.status, 200);
      assert.deepEqual(presenceEvents(res.body), []);
    } finally {
      wakes.stop();
    }
  });

  test('a wake that the presence filter leaves empty re-parks the long-poll (no tight loop)', async () => {
    const { users: [a, b] } = await quietRoom('refilter', 2);
    const s1 = await observe(a);
    const filter = JSON.stringify({ presence: { not_senders: [b.userId] } });
    const wakes = countWakes(ctx.server);
    try {
      const poll = await longPoll(ctx.server, a, s1.next_batch, 5000, { set_presence: 'offline', filter });
      await putStatusOk(b, 'online');
      assert.equal(wakes.of(a.userId), 1);
      await roundTrip(a);
      assert.equal(poll.settled(), false);
      // Parked again, on the same deadline, not spinning.
      await parked(ctx.server, a.userId);
      assert.equal(wakes.of(a.userId), 1);
      clock.advance(4999);
      await roundTrip(a);
      assert.equal(poll.settled(), false);
      clock.advance(1);
      const res = await poll.result;
      assert.deepEqual(presenceEvents(res.body), []);
    } finally {
      wakes.stop();
    }
  });
});

describe('presence filter', () => {
  async function threeOnline(prefix: string) {
    const { users } = await quietRoom(prefix, 3);
    for (const u of users) await putStatusOk(u, 'online');
    return users;
  }

  test('types, not_types (with * wildcards), senders, not_senders, limit', async () => {
    const [a, b, c] = await threeOnline('filt');
    const all = [a.userId, b.userId, c.userId].sort();
    const withFilter = async (presence: object) =>
      observe(a, { filter: JSON.stringify({ presence }) });
    assert.deepEqual(sendersIn(await withFilter({})), all);
    assert.deepEqual(sendersIn(await withFilter({ types: ['m.presence'] })), all);
    assert.deepEqual(sendersIn(await withFilter({ types: ['m.*'] })), all);
    assert.deepEqual(sendersIn(await withFilter({ types: ['m.room.message'] })), []);
    assert.deepEqual(sendersIn(await withFilter({ types: [] })), []);
    assert.deepEqual(sendersIn(await withFilter({ not_types: ['m.presence'] })), []);
    assert.deepEqual(sendersIn(await withFilter({ not_types: ['*'] })), []);
    assert.deepEqual(sendersIn(await withFilter({ senders: [b.userId] })), [b.userId]);
    assert.deepEqual(sendersIn(await withFilter({ not_senders: [b.userId] })), [a.userId, c.userId].sort());
    assert.deepEqual(sendersIn(await withFilter({ senders: [b.userId, c.userId], not_senders: [b.userId] })), [c.userId]);
    assert.equal(presenceEvents(await withFilter({ limit: 1 })).length, 1);
    assert.equal(presenceEvents(await withFilter({ limit: 2 })).length, 2);
    assert.equal(presenceEvents(await withFilter({ senders: [c.userId], limit: 1 }))[0].sender, c.userId, 'limit counts what passes the filter');
  });

  test('a stored filter id applies to incremental syncs too', async () => {
    const [a, b, c] = await threeOnline('filtid');
    const filterId = assertOk(await a.post(`${V3}/user/${enc(a.userId)}/filter`, { presence: { senders: [c.userId] } })).filter_id;
    const s1 = await observe(a, { filter: filterId });
    assert.deepEqual(sendersIn(s1), [c.userId]);
    await putStatusOk(b, 'unavailable');
    await putStatusOk(c, 'unavailable');
    const s2 = await observe(a, { since: s1.next_batch, filter: filterId });
    assert.deepEqual(sendersIn(s2), [c.userId]);
    assert.equal(presenceIn(s2, c).presence, 'unavailable');
  });
});

describe('appear offline', () => {
  test('via PUT hidden: others see bare offline, self sees the real state with appear_offline; syncs do not clear it', async () => {
    const { users: [a, b], roomId } = await quietRoom('hide', 2);
    await syncNow(b);
    const s1 = await observe(a);
    assert.equal(presenceIn(s1, b).presence, 'online');
    await putStatusOk(b, 'hidden', 'secret plans');

    const s2 = await observe(a, { since: s1.next_batch });
    assert.deepEqual(presenceIn(s2, b), { presence: 'offline' });
    assert.deepEqual(await getStatus(a, b), { presence: 'offline', status_msg: null });

    clock.advance(500);
    assert.deepEqual(await getStatus(b, b), {
      presence: 'online', last_active_ago: 500, currently_active: true, status_msg: 'secret plans', appear_offline: true,
    });
    const own = await syncNow(b);
    assert.deepEqual(presenceIn(own, b), {
      presence: 'online', last_active_ago: 500, currently_active: true, status_msg: 'secret plans', appear_offline: true,
    });

    // Syncs of every kind, and activity, leave the flag alone.
    await syncNow(b, { set_presence: 'unavailable' });
    await syncNow(b);
    await syncNow(b, { set_presence: 'online', since: own.next_batch });
    await b.send(roomId, 'still hidden');
    await setDeviceState(b, 'online');
    assert.deepEqual(await getStatus(a, b), { presence: 'offline', status_msg: null });
    assert.equal((await selfDetail(b)).appear_offline, true);
    const s3 = await observe(a, { since: s2.next_batch });
    assert.equal(presenceIn(s3, b), undefined, 'nothing others can see changed');
    const snapshot = await observe(a);
    assert.deepEqual(presenceIn(snapshot, b), undefined, 'an appear-offline user is offline in snapshots too');

    // Choosing a visible state in the same menu clears it.
    await putStatusOk(b, 'online', 'back');
    const s4 = await observe(a, { since: s3.next_batch });
    assert.deepEqual(presenceIn(s4, b), { presence: 'online', last_active_ago: 0, currently_active: true, status_msg: 'back' });
    assert.equal((await selfDetail(b)).appear_offline, false);
  });

  test('via the unstable endpoint: on hides everything, off shows the real state again; self-only changes wake only the user', async () => {
    const { users: [a, b] } = await quietRoom('flag', 2);
    await putStatusOk(b, 'online', 'visible msg');
    const s1 = await observe(a);
    await setAppearOffline(b, true);
    const s2 = await observe(a, { since: s1.next_batch });
    assert.deepEqual(presenceIn(s2, b), { presence: 'offline' });
    assert.deepEqual(await getStatus(a, b), { presence: 'offline', status_msg: null });

    const wakes = countWakes(ctx.server);
    try {
      await putStatusOk(b, 'hidden', 'new secret');
      assert.equal(wakes.of(a.userId), 0, 'a change only B can see wakes only B');
      assert.equal(wakes.of(b.userId), 1);
    } finally {
      wakes.stop();
    }
    assert.equal((await getStatus(b, b)).status_msg, 'new secret');
    assert.equal(presenceIn(await observe(a, { since: s2.next_batch }), b), undefined);

    await setAppearOffline(b, false);
    const s3 = await observe(a, { since: s2.next_batch });
    assert.deepEqual(presenceIn(s3, b), { presence: 'online', last_active_ago: 0, currently_active: true, status_msg: 'new secret' });
  });

  test('PUT offline keeps the flag (both mean "others see me offline")', async () => {
    const { users: [a, b] } = await quietRoom('offkeep', 2);
    await setAppearOffline(b, true);
    await putStatusOk(b, 'offline');
    assert.equal((await selfDetail(b)).appear_offline, true);
    await setDeviceState(b, 'online');
    assert.equal((await getStatus(a, b)).presence, 'offline');
  });
});

describe('free_for_chat', () => {
  test('ranks above online in the union, has no currently_active, idles to unavailable, activity brings online', async () => {
    const { users: [a, b], roomId } = await quietRoom('ffc', 2);
    const b2 = await secondLogin(ctx.url, b);
    await syncNow(b2);
    await putStatusOk(b, 'free_for_chat', 'chat with me');
    const s1 = await observe(a);
    assert.deepEqual(presenceIn(s1, b), { presence: 'free_for_chat', last_active_ago: 0, status_msg: 'chat with me' });
    assert.equal((await selfDetail(b)).decided_by, b.deviceId);

    // Keep both devices connected for 5 minutes without activity.
    for (let t = 0; t < 300_000; t += 20_000) {
      await syncNow(b);
      await syncNow(b2);
      clock.advance(20_000);
    }
    assert.equal((await getStatus(a, b)).presence, 'unavailable');
    await b.send(roomId, 'hello');
    assert.equal((await getStatus(a, b)).presence, 'online', 'activity brings back online, not free_for_chat');
  });
});

describe('fan-out cost', () => {
  test('an update wakes exactly the users sharing a room with the user (and the user), with no room-store query', async () => {
    const { users: [a, b, c] } = await quietRoom('cost', 3);
    const stranger = await ctx.user('coststranger');
    const rooms = ctx.server.server.storage.rooms as any;
    const calls: string[] = [];
    const restore: (() => void)[] = [];
    let proto = Object.getPrototypeOf(rooms);
    while (proto && proto !== Object.prototype) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name === 'constructor' || typeof rooms[name] !== 'function' || Object.hasOwn(rooms, name)) continue;
        const original = rooms[name];
        rooms[name] = function (...args: unknown[]) {
          calls.push(name);
          return original.apply(this, args);
        };
        restore.push(() => delete rooms[name]);
      }
      proto = Object.getPrototypeOf(proto);
    }
    const wakes = countWakes(ctx.server);
    try {
      await putStatusOk(b, 'online', 'fan out');
      await setDeviceState(b, 'idle');
      await setDeviceState(b, 'online');
    } finally {
      wakes.stop();
      for (const r of restore) r();
    }
    assert.deepEqual(calls, [], 'no membership query per update');
    for (const u of [a, b, c]) assert.equal(wakes.of(u.userId), 3, u.userId);
    assert.equal(wakes.of(stranger.userId), 0);
  });

  /** Records every storage call made while it is on; off() puts the stores back. */
  function spyOnStorage(): { calls: string[]; off(): void } {
    const storage = ctx.server.server.storage as unknown as Record<string, object>;
    const calls: string[] = [];
    const restore: (() => void)[] = [];
    for (const area of ['rooms', 'users', 'toDevice', 'presence']) {
      const store = storage[area] as Record<string, unknown>;
      let proto = Object.getPrototypeOf(store);
      while (proto && proto !== Object.prototype) {
        for (const name of Object.getOwnPropertyNames(proto)) {
          const original = store[name];
          if (name === 'constructor' || typeof original !== 'function' || Object.hasOwn(store, name)) continue;
          store[name] = function (this: unknown, ...args: unknown[]) {
            calls.push(`${area}.${name}`);
            return (original as (...x: unknown[]) => unknown).apply(this, args);
          };
          restore.push(() => delete store[name]);
        }
        proto = Object.getPrototypeOf(proto);
      }
    }
    return { calls, off: () => restore.forEach((r) => r()) };
  }

  test("a woken observer's /sync answers a presence-only change from memory: no storage query", async () => {
    const { users: [a, b] } = await quietRoom('costpoll', 2);
    const since = (await syncNow(a, { set_presence: 'offline' })).next_batch;
    const spy = spyOnStorage();
    try {
      const poll = await longPoll(ctx.server, a, since, 60_000, { set_presence: 'offline' });
      // The PUT itself writes b's presence; only what a's long-poll does afterwards is counted.
      await putStatusOk(b, 'online', 'from memory');
      const written = spy.calls.length;
      const res = assertOk(await poll.result);
      assert.equal(presenceIn(res, b).status_msg, 'from memory');
      assert.deepEqual(spy.calls.slice(written), [], 'the woken sync read no storage');
    } finally {
      spy.off();
    }
  });

  test('messages in rooms the observer is not in cost its /sync no storage query either', async () => {
    const { users: [a, b], roomId } = await quietRoom('costmsg', 2);
    const { users: [c], roomId: elsewhere } = await quietRoom('costelse', 1);
    const spy = spyOnStorage();
    try {
      // What b's PUT itself asks of storage, with nobody listening.
      await putStatusOk(b, 'online', 'warming up');
      const ofPut = spy.calls.splice(0);
      const since = (await syncNow(a, { set_presence: 'offline' })).next_batch;
      // The rooms stream moves past a's token, in a room a is not in.
      assertOk(await c.put(`${V3}/rooms/${enc(elsewhere)}/send/m.room.message/m1`, { msgtype: 'm.text', body: 'not for a' }));
      spy.calls.length = 0;
      const poll = await longPoll(ctx.server, a, since, 60_000, { set_presence: 'offline' });
      await putStatusOk(b, 'online', 'only presence');
      const res = assertOk(await poll.result);
      assert.equal(presenceIn(res, b).status_msg, 'only presence');
      assert.deepEqual(res.rooms.join, {}, 'no room section');
      assert.deepEqual(spy.calls, ofPut, "a's long-poll, parked and woken, read no storage: only the PUT did");
      // A message in a's own room is still read and delivered.
      const next = await longPoll(ctx.server, a, res.next_batch, 60_000, { set_presence: 'offline' });
      assertOk(await b.put(`${V3}/rooms/${enc(roomId)}/send/m.room.message/m2`, { msgtype: 'm.text', body: 'for a' }));
      const got = assertOk(await next.result);
      assert.deepEqual(got.rooms.join[roomId].timeline.events.map((e: { content: { body?: string } }) => e.content.body), ['for a']);
    } finally {
      spy.off();
    }
  });
});
