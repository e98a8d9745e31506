/** Spec chapter "Filtering": stored filters, and /sync with a filter ID or inline JSON. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { V3, assertError, assertOk, enc, joinedRoom, roomPath, sharedRoom, syncOk, timelineOf, useServer } from '../helpers/integration.js';
import type { TestClient } from '../helpers/client.js';

const ctx = useServer();
const filterPath = (userId: string, id?: string) => `${V3}/user/${enc(userId)}/filter${id === undefined ? '' : `/${enc(id)}`}`;

async function upload(c: TestClient, filter: unknown): Promise<string> {
  const res = assertOk(await c.post(filterPath(c.userId), filter), 'filter upload');
  assert.equal(typeof res.filter_id, 'string');
  return res.filter_id;
}

describe('filter storage', () => {
  test('POST returns an ID; GET returns the filter', async () => {
    const u = await ctx.user('fs');
    const filter = { room: { timeline: { limit: 5, types: ['m.room.message'] }, state: { lazy_load_members: true } }, presence: { not_types: ['*'] } };
    const id = await upload(u, filter);
    const stored = assertOk(await u.get(filterPath(u.userId, id)));
    assert.deepEqual(stored.room.timeline, { limit: 5, types: ['m.room.message'] });
    assert.equal(stored.room.state.lazy_load_members, true);
    assert.deepEqual(stored.presence, { not_types: ['*'] });
    const second = await upload(u, {});
    assert.notEqual(second, id);
  });

  test('filters are private to their owner; unknown IDs are 404', async () => {
    const u = await ctx.user('fsown');
    const other = await ctx.user('fsother');
    const id = await upload(u, { room: { timeline: { limit: 1 } } });
    assertError(await other.get(filterPath(u.userId, id)), 403, 'M_FORBIDDEN');
    assertError(await other.post(filterPath(u.userId), {}), 403, 'M_FORBIDDEN');
    assertError(await u.get(filterPath(u.userId, '987654')), 404, 'M_NOT_FOUND');
    assertError(await u.get(filterPath(u.userId, 'abc')), 404, 'M_NOT_FOUND');
  });

  test('a malformed filter is 400 M_BAD_JSON', async () => {
    const u = await ctx.user('fsbad');
    assertError(await u.post(filterPath(u.userId), { room: { timeline: { types: 'm.room.message' } } }), 400, 'M_BAD_JSON');
    assertError(await u.post(filterPath(u.userId), { room: { timeline: { limit: -3 } } }), 400, 'M_BAD_JSON');
    assertError(await u.post(filterPath(u.userId), { room: { rooms: [1, 2] } }), 400, 'M_BAD_JSON');
  });
});

describe('/sync with filters', () => {
  let alice: TestClient;
  let bob: TestClient;
  let busy: string;
  let quiet: string;

  before(async () => {
    alice = await ctx.user('sfa');
    bob = await ctx.user('sfb');
    busy = await sharedRoom(alice, [bob], { name: 'Busy' });
    quiet = await alice.createRoom({ name: 'Quiet' });
    for (let i = 0; i < 6; i++) await (i % 2 ? bob : alice).send(busy, `b${i}`);
    assertOk(await alice.put(roomPath(busy, 'state', 'org.example.flag'), { on: true }));
    await alice.send(busy, 'last');
    assertOk(await alice.put(`${V3}/user/${enc(alice.userId)}/account_data/org.example.a`, { a: 1 }));
    assertOk(await alice.put(`${V3}/user/${enc(alice.userId)}/account_data/org.example.b`, { b: 1 }));
  });

  test('a stored filter ID and the same filter inline give the same timeline', async () => {
    const filter = { room: { timeline: { limit: 2 } } };
    const id = await upload(alice, filter);
    for (const param of [id, JSON.stringify(filter)]) {
      const sync = await syncOk(alice, { filter: param });
      const tl = joinedRoom(sync, busy).timeline;
      assert.equal(tl.events.length, 2, param);
      assert.equal(tl.limited, true);
      assert.deepEqual(tl.events.map((e: any) => e.content.body ?? e.type), ['org.example.flag', 'last']);
    }
  });

  test('timeline types keep only matching events', async () => {
    const sync = await syncOk(alice, { filter: JSON.stringify({ room: { timeline: { limit: 50, types: ['m.room.message'] } } }) });
    const tl = timelineOf(sync, busy);
    assert.ok(tl.length > 0, 'tl.length > 0');
    assert.ok(tl.every((e) => e.type === 'm.room.message'), 'tl.every((e) => e.type === \'m.room.message\')');
    const bySender = await syncOk(alice, { filter: JSON.stringify({ room: { timeline: { limit: 50, senders: [bob.userId] } } }) });
    const fromBob = timelineOf(bySender, busy);
    assert.ok(fromBob.every((e) => e.sender === bob.userId), 'fromBob.every((e) => e.sender === bob.userId)');
    assert.deepEqual(fromBob.filter((e) => e.type === 'm.room.message').map((e) => e.content.body), ['b1', 'b3', 'b5']);
  });

  test('room.state types limit the state section', async () => {
    const sync = await syncOk(alice, { filter: JSON.stringify({ room: { timeline: { limit: 1 }, state: { types: ['m.room.name'] } } }) });
    const state = joinedRoom(sync, busy).state.events;
    assert.deepEqual(state.map((e: any) => e.type), ['m.room.name']);
  });

  test('rooms and not_rooms choose which rooms appear', async () => {
    const only = await syncOk(alice, { filter: JSON.stringify({ room: { rooms: [quiet] } }) });
    assert.deepEqual(Object.keys(only.rooms.join), [quiet]);
    const not = await syncOk(alice, { filter: JSON.stringify({ room: { not_rooms: [quiet] } }) });
    assert.ok(not.rooms.join[busy], 'not.rooms.join[busy]');
    assert.equal(not.rooms.join[quiet], undefined);
  });

  test('account_data types filter the global account data', async () => {
    const sync = await syncOk(alice, { filter: JSON.stringify({ account_data: { types: ['org.example.a'] } }) });
    assert.deepEqual(sync.account_data.events.map((e: any) => e.type), ['org.example.a']);
    const none = await syncOk(alice, { filter: JSON.stringify({ account_data: { not_types: ['*'] } }) });
    assert.deepEqual(none.account_data.events, []);
  });

  test('room.ephemeral and room.account_data filters drop their events', async () => {
    assertOk(await alice.put(roomPath(busy, 'typing', alice.userId), { typing: true, timeout: 60000 }));
    assertOk(await alice.put(`${V3}/user/${enc(alice.userId)}/rooms/${enc(busy)}/account_data/org.example.tag`, { t: 1 }));
    const all = await syncOk(alice);
    assert.ok(joinedRoom(all, busy).ephemeral.events.some((e: any) => e.type === 'm.typing'), 'joinedRoom(all, busy).ephemeral.events.some((e: any) => e.type === \'m.typing\')');
    assert.ok(joinedRoom(all, busy).account_data.events.some((e: any) => e.type === 'org.example.tag'), 'joinedRoom(all, busy).account_data.events.some((e: any) => e.type === \'org.example.tag\')');
    const filtered = await syncOk(alice, { filter: JSON.stringify({ room: { ephemeral: { not_types: ['m.typing'] }, account_data: { types: ['nothing.here'] } } }) });
    assert.ok(!joinedRoom(filtered, busy).ephemeral.events.some((e: any) => e.type === 'm.typing'), '!joinedRoom(filtered, busy).ephemeral.events.some((e: any) => e.type === \'m.typing\')');
    assert.deepEqual(joinedRoom(filtered, busy).account_data.events, []);
    assertOk(await alice.put(roomPath(busy, 'typing', alice.userId), { typing: false }));
  });

  test('lazy_load_members sends the member events of timeline senders and of the syncing user only', async () => {
    const carol = await ctx.user('sfc');
    const dave = await ctx.user('sfd');
    const room = await sharedRoom(alice, [bob, carol, dave], { name: 'Lazy' });
    await dave.send(room, 'dave speaks');
    await bob.send(room, 'bob speaks');
    const membersIn = (s: any) =>
      joinedRoom(s, room).state.events.filter((e: any) => e.type === 'm.room.member').map((e: any) => e.state_key).sort();
    const lazy = await syncOk(carol, { filter: JSON.stringify({ room: { state: { lazy_load_members: true }, timeline: { limit: 2 } } }) });
    assert.deepEqual(membersIn(lazy), [bob.userId, carol.userId, dave.userId].sort(), 'senders and self, not alice');
    assert.ok(joinedRoom(lazy, room).state.events.some((e: any) => e.type === 'm.room.name'), 'other state is kept');
    assert.deepEqual(joinedRoom(lazy, room).summary['m.joined_member_count'], 4);
    assert.equal(joinedRoom(lazy, room).summary['m.heroes'].length, 3);
    const full = await syncOk(carol, { filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) });
    assert.deepEqual(membersIn(full), [alice.userId, bob.userId, carol.userId, dave.userId].sort(), 'without it, every member');
  });

  test('an unknown filter ID or malformed inline filter is a 4xx Matrix error', async () => {
    const unknown = await alice.sync({ filter: '424242' });
    assert.ok(unknown.status === 404 || unknown.status === 400, JSON.stringify(unknown));
    assert.match(unknown.body.errcode, /^M_/);
    assertError(await alice.sync({ filter: '{broken' }), 400, 'M_NOT_JSON');
    assertError(await alice.sync({ filter: JSON.stringify({ room: { timeline: { limit: 'ten' } } }) }), 400, 'M_BAD_JSON');
  });

  test('an over-long inline filter gets Matrix error JSON; the same filter repeated parses the same', async () => {
    // Node refuses a request line over 16 KiB before routing; that answer is Matrix JSON too.
    const huge = JSON.stringify({ room: { not_rooms: ['!x'.repeat(9000)] } });
    assertError(await alice.sync({ filter: huge }), 431, 'M_TOO_LARGE');
    const inline = JSON.stringify({ room: { timeline: { limit: 1 } }, presence: { not_types: ['*'] } });
    const a = assertOk(await alice.sync({ filter: inline }));
    const b = assertOk(await alice.sync({ filter: inline }));
    assert.deepEqual(Object.keys(a.rooms.join).sort(), Object.keys(b.rooms.join).sort());
    for (const id of Object.keys(b.rooms.join)) assert.ok(b.rooms.join[id].timeline.events.length <= 1);
  });
});
