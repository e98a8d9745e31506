import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawEvent, SyncBody } from '../../../web/src/api.js';
import { addPending, applySync, contactIds, displayName, emptyModel, prependHistory, roomName } from '../../../web/src/model.js';

const ME = '@me:hs';
const R = '!r:hs';

const member = (userId: string, membership: string, displayname?: string): RawEvent => ({
  type: 'm.room.member',
  sender: userId,
  state_key: userId,
  content: { membership, ...(displayname ? { displayname } : {}) },
  event_id: `$m-${userId}-${membership}`,
  origin_server_ts: 1,
});
const msg = (id: string, sender: string, body: string, txn?: string): RawEvent => ({
  type: 'm.room.message',
  sender,
  content: { msgtype: 'm.text', body },
  event_id: id,
  origin_server_ts: 10,
  ...(txn ? { unsigned: { transaction_id: txn } } : {}),
});
const join = (state: RawEvent[], timeline: RawEvent[], extra: { limited?: boolean; prev_batch?: string } = {}): SyncBody['rooms'] => ({
  join: { [R]: { state: { events: state }, timeline: { events: timeline, ...extra } } },
});

describe('applySync', () => {
  test('rooms, members and the timeline come from state and timeline events', () => {
    const m = emptyModel(ME);
    const c = applySync(m, { next_batch: 's1', rooms: join([member(ME, 'join'), { type: 'm.room.name', sender: ME, state_key: '', content: { name: 'Lobby' } }], [member('@bob:hs', 'join', 'Bob'), msg('$1', '@bob:hs', 'hi')]) }, 0);
    assert.equal(c.rooms, true);
    assert.deepEqual([...c.timelines], [R]);
    const room = m.rooms.get(R)!;
    assert.equal(room.name, 'Lobby');
    assert.equal(room.members.get('@bob:hs')?.displayname, 'Bob');
    assert.deepEqual(room.timeline.map((i) => i.eventId), ['$m-@bob:hs-join', '$1']);
    assert.equal(m.nextBatch, 's1');
  });

  test('contacts are everyone joined to a shared room, not the user, not invitees or leavers', () => {
    const m = emptyModel(ME);
    applySync(m, { next_batch: 's1', rooms: join([member(ME, 'join'), member('@a:hs', 'join'), member('@b:hs', 'invite'), member('@c:hs', 'leave')], []) }, 0);
    applySync(m, { next_batch: 's2', rooms: { join: { '!other:hs': { state: { events: [member(ME, 'join'), member('@a:hs', 'join'), member('@d:hs', 'join')] } } } } }, 0);
    assert.deepEqual(contactIds(m).sort(), ['@a:hs', '@d:hs']);
  });

  test('a member leaving in the timeline stops being a contact', () => {
    const m = emptyModel(ME);
    applySync(m, { next_batch: 's1', rooms: join([member(ME, 'join'), member('@a:hs', 'join')], []) }, 0);
    applySync(m, { next_batch: 's2', rooms: join([], [member('@a:hs', 'leave')]) }, 0);
    assert.deepEqual(contactIds(m), []);
  });

  test('presence: last_active_ago is anchored to the receive time; absent fields are null/false', () => {
    const m = emptyModel(ME);
    const c = applySync(m, {
      next_batch: 's1',
      presence: {
        events: [
          { type: 'm.presence', sender: '@a:hs', content: { presence: 'online', last_active_ago: 4000, currently_active: true, status_msg: 'lunch' } },
          { type: 'm.presence', sender: '@b:hs', content: { presence: 'offline' } },
          { type: 'm.presence', sender: ME, content: { presence: 'unavailable', appear_offline: true, displayname: 'Me!' } },
        ],
      },
    }, 10_000);
    assert.equal(c.presence, true);
    assert.deepEqual(m.presence.get('@a:hs'), { presence: 'online', statusMsg: 'lunch', lastActiveTs: 6000, currentlyActive: true, appearOffline: false });
    assert.deepEqual(m.presence.get('@b:hs'), { presence: 'offline', statusMsg: null, lastActiveTs: null, currentlyActive: false, appearOffline: false });
    assert.equal(m.presence.get(ME)?.appearOffline, true);
    assert.equal(displayName(m, ME), 'Me!');
  });

  test('a newer presence event replaces the whole previous one (a cleared status message goes away)', () => {
    const m = emptyModel(ME);
    applySync(m, { next_batch: 's1', presence: { events: [{ type: 'm.presence', sender: '@a:hs', content: { presence: 'online', status_msg: 'x' } }] } }, 0);
    applySync(m, { next_batch: 's2', presence: { events: [{ type: 'm.presence', sender: '@a:hs', content: { presence: 'offline' } }] } }, 0);
    assert.equal(m.presence.get('@a:hs')?.statusMsg, null);
  });

  test('a limited timeline drops what we held (the gap) and keeps its prev_batch', () => {
    const m = emptyModel(ME);
    applySync(m, { next_batch: 's1', rooms: join([member(ME, 'join')], [msg('$1', ME, 'a')], { prev_batch: 'p0' }) }, 0);
    assert.equal(m.rooms.get(R)?.prevBatch, 'p0');
    applySync(m, { next_batch: 's2', rooms: join([], [msg('$9', ME, 'z')], { limited: true, prev_batch: 'p8' }) }, 0);
    assert.deepEqual(m.rooms.get(R)?.timeline.map((i) => i.eventId), ['$9']);
    assert.equal(m.rooms.get(R)?.prevBatch, 'p8');
  });

  test('holding the create event means there is no older history', () => {
    const m = emptyModel(ME);
    applySync(m, { next_batch: 's1', rooms: join([], [{ type: 'm.room.create', sender: ME, state_key: '', content: {}, event_id: '$c' }], { prev_batch: 'p0' }) }, 0);
    assert.equal(m.rooms.get(R)?.prevBatch, null);
  });

  test('the same event twice is shown once', () => {
    const m = emptyModel(ME);
    applySync(m, { next_batch: 's1', rooms: join([], [msg('$1', ME, 'a')]) }, 0);
    applySync(m, { next_batch: 's2', rooms: join([], [msg('$1', ME, 'a')]) }, 0);
    assert.equal(m.rooms.get(R)?.timeline.length, 1);
  });

  test('a local echo is replaced by the event carrying its transaction_id; others stay after real events', () => {
    const m = emptyModel(ME);
    applySync(m, { next_batch: 's1', rooms: join([member(ME, 'join')], []) }, 0);
    const room = m.rooms.get(R)!;
    addPending(room, ME, 'one', 't1', 5);
    addPending(room, ME, 'two', 't2', 6);
    applySync(m, { next_batch: 's2', rooms: join([], [msg('$x', '@bob:hs', 'from bob'), msg('$1', ME, 'one', 't1')]) }, 0);
    assert.deepEqual(room.timeline.map((i) => [i.eventId, i.pending === true]), [['$x', false], ['$1', false], ['', true]]);
  });

  test('unread counts messages from others after the first sync only', () => {
    const m = emptyModel(ME);
    applySync(m, { next_batch: 's1', rooms: join([], [msg('$1', '@b:hs', 'old')]) }, 0);
    assert.equal(m.rooms.get(R)?.unread, 0);
    applySync(m, { next_batch: 's2', rooms: join([], [msg('$2', '@b:hs', 'new'), msg('$3', ME, 'mine')]) }, 0);
    assert.equal(m.rooms.get(R)?.unread, 1);
  });

  test('invites are listed with name and inviter, and become rooms on join; leave removes a room', () => {
    const m = emptyModel(ME);
    applySync(m, {
      next_batch: 's1',
      rooms: { invite: { [R]: { invite_state: { events: [{ type: 'm.room.name', sender: '@b:hs', state_key: '', content: { name: 'Party' } }, { ...member(ME, 'invite'), sender: '@b:hs' }] } } } },
    }, 0);
    assert.deepEqual(m.invites.get(R), { roomId: R, name: 'Party', inviter: '@b:hs' });
    applySync(m, { next_batch: 's2', rooms: join([member(ME, 'join')], []) }, 0);
    assert.equal(m.invites.size, 0);
    assert.ok(m.rooms.has(R));
    applySync(m, { next_batch: 's3', rooms: { leave: { [R]: {} } } }, 0);
    assert.equal(m.rooms.size, 0);
  });
});

describe('history and names', () => {
  test('prependHistory puts a backwards chunk in order before the timeline and moves the token', () => {
    const m = emptyModel(ME);
    applySync(m, { next_batch: 's1', rooms: join([], [msg('$3', ME, 'c')], { prev_batch: 'p2' }) }, 0);
    const room = m.rooms.get(R)!;
    prependHistory(room, [msg('$2', ME, 'b'), msg('$1', ME, 'a')], 'p0');
    assert.deepEqual(room.timeline.map((i) => i.eventId), ['$1', '$2', '$3']);
    assert.equal(room.prevBatch, 'p0');
    prependHistory(room, [], 'p0');
    assert.equal(room.prevBatch, null);
  });

  test('room name: m.room.name, then alias, then the other members, then the ID', () => {
    const m = emptyModel(ME);
    applySync(m, { next_batch: 's1', rooms: join([member(ME, 'join'), member('@ann:hs', 'join', 'Ann')], []) }, 0);
    const room = m.rooms.get(R)!;
    assert.equal(roomName(m, room), 'Ann');
    room.alias = '#x:hs';
    assert.equal(roomName(m, room), '#x:hs');
    room.name = 'Named';
    assert.equal(roomName(m, room), 'Named');
    assert.equal(roomName(emptyModel(ME), { ...room, name: null, alias: null, members: new Map() }), R);
  });

  test('display name falls back to the localpart', () => {
    assert.equal(displayName(emptyModel(ME), '@zed:example.org'), 'zed');
  });
});
