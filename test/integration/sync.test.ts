/** Spec chapter "Syncing": initial and incremental /sync, long-poll, invites, leaves, to-device, set_presence. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as realTimer } from 'node:timers/promises';
import { ManualClock } from '../../src/common/clock.js';
import { V3, assertError, assertOk, enc, joinedRoom, roomPath, sharedRoom, syncOk, timelineOf, useServer } from '../helpers/integration.js';
import type { TestClient } from '../helpers/client.js';
import { longPoll as parkLongPoll } from './presence-helpers.js';

/** The server's clock only moves when a test says so; no passing test here moves it. */
const clock = new ManualClock();
const ctx = useServer({ clock });

const LONG_POLL_MS = 10_000;
/**
 * Only bounds a failure: a long-poll that nothing woke would wait forever on the frozen
 * clock (and hold the server's close), so after this much real time it is released by
 * moving the clock past its timeout, and the test fails.
 */
const NOT_WOKEN_MS = 5_000;

/**
 * Parks a long-poll from `since` on the server, runs `trigger`, and returns the long-poll's
 * body. The clock never moves, so the long-poll's timeout cannot fire: if it answers, the
 * write woke it. It is parked before the trigger starts, so it answers after the write.
 */
async function longPoll(c: TestClient, since: string, trigger: () => Promise<unknown>): Promise<any> {
  const startedAt = clock.now();
  const poll = await parkLongPoll(ctx.server, c, since, LONG_POLL_MS);
  assert.equal(poll.settled(), false, 'the long-poll waits while nothing happens');
  await trigger();
  const giveUp = new AbortController();
  const stuck = realTimer(NOT_WOKEN_MS, 'stuck' as const, { signal: giveUp.signal }).catch(() => 'answered' as const);
  const first = await Promise.race([poll.result, stuck]);
  giveUp.abort();
  if (first === 'stuck') {
    clock.advance(LONG_POLL_MS);
    await poll.result;
    assert.fail(`the long-poll was not woken by the write (released after ${NOT_WOKEN_MS} ms real time)`);
  }
  assert.equal(clock.now(), startedAt, 'no server time passed: only a wake-up can have answered the long-poll');
  return assertOk(await poll.result, 'long-poll');
}

describe('initial sync', () => {
  test('has every top-level section and a joined room with all its parts', async () => {
    const alice = await ctx.user('isa');
    const bob = await ctx.user('isb');
    const roomId = await sharedRoom(alice, [bob], { name: 'Shape' });
    const sync = await syncOk(alice);
    assert.equal(typeof sync.next_batch, 'string');
    for (const k of ['join', 'invite', 'leave']) assert.equal(typeof sync.rooms[k], 'object', `rooms.${k}`);
    assert.ok(Array.isArray(sync.account_data.events), 'Array.isArray(sync.account_data.events)');
    assert.ok(Array.isArray(sync.to_device.events), 'Array.isArray(sync.to_device.events)');
    assert.deepEqual(sync.device_lists, { changed: [], left: [] });
    assert.equal(typeof sync.device_one_time_keys_count, 'object');

    const room = joinedRoom(sync, roomId);
    assert.ok(Array.isArray(room.timeline.events), 'Array.isArray(room.timeline.events)');
    assert.equal(typeof room.timeline.limited, 'boolean');
    assert.equal(typeof room.timeline.prev_batch, 'string');
    assert.ok(Array.isArray(room.state.events), 'Array.isArray(room.state.events)');
    assert.ok(Array.isArray(room.ephemeral.events), 'Array.isArray(room.ephemeral.events)');
    assert.ok(Array.isArray(room.account_data.events), 'Array.isArray(room.account_data.events)');
    assert.deepEqual(room.unread_notifications, { notification_count: 0, highlight_count: 0 });
    assert.equal(room.summary['m.joined_member_count'], 2);
    assert.deepEqual(room.summary['m.heroes'], [bob.userId]);
  });

  test('an incremental sync leaves an unchanged summary out, and sends it again when membership moves', async () => {
    const alice = await ctx.user('suma');
    const bob = await ctx.user('sumb');
    const carol = await ctx.user('sumc');
    const roomId = await sharedRoom(alice, [bob]);
    const s1 = await syncOk(alice);
    await bob.send(roomId, 'just a message');
    const s2 = await syncOk(alice, { since: s1.next_batch });
    assert.deepEqual(joinedRoom(s2, roomId).summary, {}, 'a message alone changes no summary field');
    assertOk(await alice.post(roomPath(roomId, 'invite'), { user_id: carol.userId }));
    await carol.join(roomId);
    const s3 = await syncOk(alice, { since: s2.next_batch });
    assert.equal(joinedRoom(s3, roomId).summary['m.joined_member_count'], 3);
  });

  test('state plus timeline describe the whole room; the timeline is limited to the newest events', async () => {
    const u = await ctx.user('isl');
    const roomId = await u.createRoom({ name: 'Long' });
    for (let i = 0; i < 12; i++) await u.send(roomId, `n${i}`);
    const room = joinedRoom(await syncOk(u), roomId);
    assert.equal(room.timeline.limited, true);
    assert.equal(room.timeline.events.length, 10);
    assert.equal(room.timeline.events[9].content.body, 'n11');
    const stateTypes = room.state.events.map((e: any) => e.type);
    for (const t of ['m.room.create', 'm.room.power_levels', 'm.room.join_rules', 'm.room.name']) assert.ok(stateTypes.includes(t), t);
    assert.ok(!room.timeline.events.some((e: any) => room.state.events.some((s: any) => s.event_id === e.event_id)), 'no event in both');
  });

  test('full_state with since repeats the whole state of unchanged rooms, while the timeline stays incremental', async () => {
    const u = await ctx.user('fs');
    const roomId = await u.createRoom({ name: 'Full' });
    const since = (await syncOk(u)).next_batch;
    assert.equal(joinedRoom(await syncOk(u, { since }), roomId), undefined);
    const room = joinedRoom(await syncOk(u, { since, full_state: 'true' }), roomId);
    assert.ok(room, 'an unchanged room is present with full_state');
    assert.deepEqual(room.timeline.events, [], 'the spec: "the timeline will still be limited by the since parameter"');
    const stateTypes = room.state.events.map((e: any) => e.type);
    for (const t of ['m.room.create', 'm.room.member', 'm.room.power_levels', 'm.room.name']) assert.ok(stateTypes.includes(t), `state has ${t}`);
  });
});

describe('incremental sync', () => {
  test('returns exactly what happened since the token', async () => {
    const alice = await ctx.user('ia');
    const bob = await ctx.user('ib');
    const roomId = await sharedRoom(alice, [bob]);
    const first = await syncOk(bob);
    const eventId = await alice.send(roomId, 'new');
    const second = await syncOk(bob, { since: first.next_batch });
    const tl = joinedRoom(second, roomId).timeline;
    assert.deepEqual(tl.events.map((e: any) => e.event_id), [eventId]);
    assert.equal(tl.limited, false);
    assert.notEqual(second.next_batch, first.next_batch);
    const third = await syncOk(bob, { since: second.next_batch });
    assert.deepEqual(third.rooms.join, {});
  });

  test('a gap larger than the limit is limited, with prev_batch and the missed state changes', async () => {
    const alice = await ctx.user('ga');
    const bob = await ctx.user('gb');
    const roomId = await sharedRoom(alice, [bob]);
    const filter = JSON.stringify({ room: { timeline: { limit: 3 } } });
    const since = (await syncOk(bob, { filter })).next_batch;
    assertOk(await alice.put(roomPath(roomId, 'state', 'm.room.topic'), { topic: 'changed in the gap' }));
    for (let i = 0; i < 6; i++) await alice.send(roomId, `g${i}`);
    const room = joinedRoom(await syncOk(bob, { since, filter }), roomId);
    assert.equal(room.timeline.limited, true);
    assert.deepEqual(room.timeline.events.map((e: any) => e.content.body), ['g3', 'g4', 'g5']);
    assert.equal(typeof room.timeline.prev_batch, 'string');
    const topic = room.state.events.find((e: any) => e.type === 'm.room.topic');
    assert.equal(topic?.content.topic, 'changed in the gap');
    const older = assertOk(await bob.get(`${roomPath(roomId, 'messages')}?dir=b&limit=3&from=${enc(room.timeline.prev_batch)}`));
    assert.deepEqual(older.chunk.map((e: any) => e.content.body), ['g2', 'g1', 'g0']);
  });

  test('one\'s own profile change (join -> join) is an ordinary timeline event, not a new join', async () => {
    const alice = await ctx.user('pja');
    const bob = await ctx.user('pjb');
    const roomId = await sharedRoom(alice, [bob]);
    for (let i = 0; i < 12; i++) await bob.send(roomId, `p${i}`);
    const aliceSince = (await syncOk(alice)).next_batch;
    const bobSince = (await syncOk(bob)).next_batch;
    assertOk(await alice.put(`${V3}/profile/${enc(alice.userId)}/displayname`, { displayname: 'Renamed' }));
    for (const [who, since] of [[alice, aliceSince], [bob, bobSince]] as const) {
      const tl = joinedRoom(await syncOk(who, { since }), roomId).timeline;
      assert.equal(tl.limited, false, `${who.userId}: not limited`);
      assert.deepEqual(tl.events.map((e: any) => [e.type, e.state_key, e.content.displayname]), [['m.room.member', alice.userId, 'Renamed']], who.userId);
    }
  });

  test('an invalid since token is 400 M_INVALID_PARAM; a bad timeout is 400', async () => {
    const u = await ctx.user('bad');
    assertError(await u.sync({ since: 'not-a-token' }), 400, 'M_INVALID_PARAM');
    const res = await u.sync({ timeout: 'soon' });
    assert.equal(res.status, 400, JSON.stringify(res.body));
  });
});

describe('long-poll', () => {
  test('returns as soon as another user sends into a shared room', async () => {
    const alice = await ctx.user('lpa');
    const bob = await ctx.user('lpb');
    const roomId = await sharedRoom(alice, [bob]);
    const since = (await syncOk(bob)).next_batch;
    let eventId = '';
    const body = await longPoll(bob, since, async () => { eventId = await alice.send(roomId, 'wake up'); });
    assert.deepEqual(timelineOf(body, roomId).map((e) => e.event_id), [eventId]);
  });

  test('an invite wakes the invitee', async () => {
    const alice = await ctx.user('lpia');
    const bob = await ctx.user('lpib');
    const since = (await syncOk(bob)).next_batch;
    let roomId = '';
    const body = await longPoll(bob, since, async () => { roomId = await alice.createRoom({ invite: [bob.userId] }); });
    assert.ok(body.rooms.invite[roomId], JSON.stringify(body.rooms));
  });

  test('a to-device message wakes the target device', async () => {
    const alice = await ctx.user('lpta');
    const bob = await ctx.user('lptb');
    const since = (await syncOk(bob)).next_batch;
    const body = await longPoll(bob, since, () =>
      alice.put(`${V3}/sendToDevice/org.example.ping/lp1`, { messages: { [bob.userId]: { [bob.deviceId]: { n: 1 } } } }));
    assert.deepEqual(body.to_device.events, [{ sender: alice.userId, type: 'org.example.ping', content: { n: 1 } }]);
  });
});

describe('invite and leave sections', () => {
  test('an invite shows invite_state with the room\'s stripped state and the invite itself; joining moves it to join', async () => {
    const alice = await ctx.user('inva');
    const bob = await ctx.user('invb');
    const roomId = await alice.createRoom({ name: 'Come in', topic: 'welcome', invite: [bob.userId] });
    const sync = await syncOk(bob);
    assert.equal(joinedRoom(sync, roomId), undefined);
    const events = sync.rooms.invite[roomId].invite_state.events;
    const byType = new Map(events.map((e: any) => [e.type, e]));
    assert.equal((byType.get('m.room.name') as any)?.content.name, 'Come in');
    assert.ok(byType.has('m.room.create'), 'byType.has(\'m.room.create\')');
    assert.ok(byType.has('m.room.join_rules'), 'byType.has(\'m.room.join_rules\')');
    const invite = events.find((e: any) => e.type === 'm.room.member' && e.state_key === bob.userId);
    assert.equal(invite.content.membership, 'invite');
    assert.equal(invite.sender, alice.userId);
    for (const e of events) assert.equal(typeof e.sender, 'string');

    await bob.join(roomId);
    const after = await syncOk(bob, { since: sync.next_batch });
    assert.equal(after.rooms.invite[roomId], undefined);
    assert.ok(joinedRoom(after, roomId), 'joinedRoom(after, roomId)');
  });

  test('leaving puts the room in the leave section of the next sync, with the leave event', async () => {
    const alice = await ctx.user('lva');
    const bob = await ctx.user('lvb');
    const roomId = await sharedRoom(alice, [bob]);
    const since = (await syncOk(bob)).next_batch;
    assertOk(await bob.post(roomPath(roomId, 'leave'), {}));
    const sync = await syncOk(bob, { since });
    assert.equal(joinedRoom(sync, roomId), undefined);
    const left = sync.rooms.leave[roomId];
    const leaveEv = left.timeline.events.find((e: any) => e.type === 'm.room.member' && e.state_key === bob.userId);
    assert.equal(leaveEv.content.membership, 'leave');
    await alice.send(roomId, 'after you left');
    const later = await syncOk(bob, { since: sync.next_batch });
    assert.equal(later.rooms.leave[roomId], undefined, 'nothing more arrives from a left room');
    const initial = await syncOk(bob);
    assert.equal(initial.rooms.leave[roomId], undefined, 'initial sync leaves out left rooms unless include_leave');
  });

  test('a kick shows in the leave section of the kicked user', async () => {
    const alice = await ctx.user('kka');
    const bob = await ctx.user('kkb');
    const roomId = await sharedRoom(alice, [bob]);
    const since = (await syncOk(bob)).next_batch;
    assertOk(await alice.post(roomPath(roomId, 'kick'), { user_id: bob.userId }));
    const left = (await syncOk(bob, { since })).rooms.leave[roomId];
    assert.ok(left.timeline.events.some((e: any) => e.type === 'm.room.member' && e.state_key === bob.userId && e.sender === alice.userId), 'left.timeline.events.some((e: any) => e.type === \'m.room.member\' && e.state_key === bob.userId && e.sender === alice.userId)');
  });
});

describe('to-device', () => {
  test('delivered once to the named device, not to other devices; * reaches all devices', async () => {
    const alice = await ctx.user('tda');
    const bob = await ctx.user('tdb');
    const login = assertOk(await bob.post(`${V3}/login`, {
      type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: 'correct horse',
    }, { token: null }));
    const bobSince = (await syncOk(bob)).next_batch;
    const otherSince = assertOk(await bob.get(`${V3}/sync`, { token: login.access_token })).next_batch;

    assertOk(await alice.put(`${V3}/sendToDevice/org.example.msg/t1`, { messages: { [bob.userId]: { [bob.deviceId]: { hello: 'one' } } } }));
    const got = await syncOk(bob, { since: bobSince });
    assert.deepEqual(got.to_device.events, [{ sender: alice.userId, type: 'org.example.msg', content: { hello: 'one' } }]);
    const again = await syncOk(bob, { since: got.next_batch });
    assert.deepEqual(again.to_device.events, [], 'acknowledged messages are not repeated');
    const other = assertOk(await bob.get(`${V3}/sync?since=${enc(otherSince)}`, { token: login.access_token }));
    assert.deepEqual(other.to_device.events, [], 'other devices do not get it');

    assertOk(await alice.put(`${V3}/sendToDevice/org.example.msg/t2`, { messages: { [bob.userId]: { '*': { hello: 'all' } } } }));
    assert.deepEqual((await syncOk(bob, { since: again.next_batch })).to_device.events.map((e: any) => e.content), [{ hello: 'all' }]);
    const otherAll = assertOk(await bob.get(`${V3}/sync?since=${enc(other.next_batch)}`, { token: login.access_token }));
    assert.deepEqual(otherAll.to_device.events.map((e: any) => e.content), [{ hello: 'all' }]);
  });
});

describe('set_presence', () => {
  test('online, unavailable and offline are accepted; anything else is 400 M_INVALID_PARAM', async () => {
    const u = await ctx.user('sp');
    for (const v of ['online', 'unavailable', 'offline']) assertOk(await u.sync({ set_presence: v }), v);
    for (const v of ['away', 'ONLINE', 'busy']) assertError(await u.sync({ set_presence: v }), 400, 'M_INVALID_PARAM');
  });
});
