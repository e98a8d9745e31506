/** Contract: rooms, events, current state, memberships, transactions, ranges, aliases. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { T0, fakePdu, member, message, type GetContext } from './fixtures.js';

const ROOM = '!room:localhost';
const OTHER = '!other:localhost';
const ALICE = '@alice:localhost';
const BOB = '@bob:localhost';

export function roomsContract(get: GetContext): void {
  describe('rooms', () => {
    test('createRoom, getRoom, and the public list', async () => {
      const { rooms } = get();
      await rooms.createRoom({ roomId: ROOM, roomVersion: '10', creator: ALICE, isPublic: false }, T0);
      await rooms.createRoom({ roomId: OTHER, roomVersion: '10', creator: BOB, isPublic: true }, T0 + 1);
      assert.deepEqual(await rooms.getRoom(ROOM), { roomId: ROOM, roomVersion: '10', creator: ALICE, isPublic: false });
      assert.equal(await rooms.getRoom('!nope:localhost'), undefined);
      assert.deepEqual(await rooms.listPublicRooms(), [OTHER]);
      await rooms.setRoomPublic(ROOM, true);
      assert.deepEqual(await rooms.listPublicRooms(), [ROOM, OTHER], 'oldest room first');
    });
  });

  describe('persistEvent', () => {
    test('positions increase; the stored PDU round-trips exactly', async () => {
      const { rooms } = get();
      const a = message(ROOM, ALICE, 'one');
      const b = fakePdu({ room_id: ROOM, sender: ALICE, type: 'org.example.nested', content: { deep: { list: [1, 'two', null, true], n: -5 }, uni: 'héllo 🌍' } });
      const sa = await rooms.persistEvent({ pdu: a });
      const sb = await rooms.persistEvent({ pdu: b });
      assert.ok(sb.streamPos > sa.streamPos, `${sb.streamPos} > ${sa.streamPos}`);
      assert.deepEqual(sa, { pdu: a, streamPos: sa.streamPos, redactedBy: null, replacesState: null, txn: null });
      assert.deepEqual(await rooms.getEvent(b.event_id), { pdu: b, streamPos: sb.streamPos, redactedBy: null, replacesState: null, txn: null });
      assert.equal(await rooms.getEvent('$missing'), undefined);
      assert.deepEqual((await rooms.getEvents([b.event_id, a.event_id, '$missing'])).map((e) => e.pdu.event_id), [a.event_id, b.event_id]);
      assert.deepEqual(await rooms.getEvents([]), []);
    });

    test('a state event becomes current state and records the event it replaces', async () => {
      const { rooms } = get();
      const name1 = fakePdu({ room_id: ROOM, sender: ALICE, type: 'm.room.name', state_key: '', content: { name: 'One' } });
      const topic = fakePdu({ room_id: ROOM, sender: ALICE, type: 'm.room.topic', state_key: '', content: { topic: 't' } });
      const name2 = fakePdu({ room_id: ROOM, sender: ALICE, type: 'm.room.name', state_key: '', content: { name: 'Two' } });
      await rooms.persistEvent({ pdu: name1 });
      await rooms.persistEvent({ pdu: message(ROOM, ALICE, 'not state') });
      await rooms.persistEvent({ pdu: topic });
      const s2 = await rooms.persistEvent({ pdu: name2 });
      assert.equal(s2.replacesState, name1.event_id);
      assert.equal((await rooms.getEvent(name2.event_id))?.replacesState, name1.event_id);
      const state = await rooms.currentState(ROOM);
      assert.deepEqual(state.map((e) => e.pdu.event_id), [topic.event_id, name2.event_id], 'ordered by position, one per key');
      assert.deepEqual(await rooms.currentState(OTHER), []);
    });

    test('member events maintain the membership table', async () => {
      const { rooms } = get();
      const join = await rooms.persistEvent({ pdu: member(ROOM, ALICE, 'join') });
      await rooms.persistEvent({ pdu: member(ROOM, BOB, 'invite', ALICE) });
      await rooms.persistEvent({ pdu: member(OTHER, ALICE, 'join') });
      assert.deepEqual(await rooms.membership(ROOM, ALICE), {
        roomId: ROOM, userId: ALICE, membership: 'join', eventId: join.pdu.event_id, streamPos: join.streamPos, forgotten: false,
      });
      assert.deepEqual((await rooms.membersOfRoom(ROOM)).map((m) => [m.userId, m.membership]), [[ALICE, 'join'], [BOB, 'invite']]);
      assert.deepEqual(await rooms.memberSummary(ROOM, ALICE, 5), { joined: 1, invited: 1, heroes: [BOB] });
      assert.deepEqual(await rooms.memberSummary(ROOM, '@zed:localhost', 1), { joined: 1, invited: 1, heroes: [ALICE] });
      assert.deepEqual(await rooms.memberSummary(OTHER, ALICE, 5), { joined: 1, invited: 0, heroes: [] });
      const name = fakePdu({ room_id: ROOM, sender: ALICE, type: 'm.room.name', state_key: '', content: { name: 'N' } });
      await rooms.persistEvent({ pdu: name });
      const keys = (evs: { pdu: { type: string; state_key?: string } }[]) => evs.map((e) => `${e.pdu.type}|${e.pdu.state_key}`).sort();
      assert.deepEqual(keys(await rooms.currentStateWithMembers(ROOM, [BOB])), [`m.room.member|${BOB}`, 'm.room.name|'].sort());
      assert.deepEqual(keys(await rooms.currentStateWithMembers(ROOM, [])), ['m.room.name|']);
      assert.deepEqual((await rooms.membershipsOfUser(ALICE)).map((m) => m.roomId).sort(), [OTHER, ROOM].sort());
      const joined = (await rooms.allJoined()).map((r) => `${r.roomId} ${r.userId}`).sort();
      assert.deepEqual(joined, [`${OTHER} ${ALICE}`, `${ROOM} ${ALICE}`].sort());

      const leave = await rooms.persistEvent({ pdu: member(ROOM, ALICE, 'leave') });
      assert.deepEqual([(await rooms.membership(ROOM, ALICE))?.membership, (await rooms.membership(ROOM, ALICE))?.streamPos], ['leave', leave.streamPos]);
      await rooms.setForgotten(ROOM, ALICE);
      assert.equal((await rooms.membership(ROOM, ALICE))?.forgotten, true);
      await rooms.persistEvent({ pdu: member(ROOM, ALICE, 'join') });
      assert.equal((await rooms.membership(ROOM, ALICE))?.forgotten, false, 'a new membership clears forgotten');
      assert.equal(await rooms.membership(ROOM, '@carol:localhost'), undefined);
    });

    test('a transaction ID is recorded with its event and found again per user and device', async () => {
      const { rooms } = get();
      const ev = message(ROOM, ALICE, 'once');
      const stored = await rooms.persistEvent({ pdu: ev, txn: { userId: ALICE, deviceId: 'DEV', txnId: 'txn1', ts: T0 } });
      assert.deepEqual(stored.txn, { deviceId: 'DEV', txnId: 'txn1' });
      assert.deepEqual((await rooms.getEvent(ev.event_id))?.txn, { deviceId: 'DEV', txnId: 'txn1' });
      assert.equal(await rooms.txnEvent(ALICE, 'DEV', 'txn1'), ev.event_id);
      assert.equal(await rooms.txnEvent(ALICE, 'OTHER', 'txn1'), undefined);
      assert.equal(await rooms.txnEvent(BOB, 'DEV', 'txn1'), undefined);
    });

    test('a failed write leaves nothing behind: no event, no state, no position used', async () => {
      const { rooms, toDevice } = get();
      await rooms.persistEvent({ pdu: message(ROOM, ALICE, 'first'), txn: { userId: ALICE, deviceId: 'DEV', txnId: 'dup', ts: T0 } });
      const before = await toDevice.currentPosition('rooms');
      const clash = fakePdu({ room_id: ROOM, sender: ALICE, type: 'm.room.name', state_key: '', content: { name: 'never' } });
      await assert.rejects(rooms.persistEvent({ pdu: clash, txn: { userId: ALICE, deviceId: 'DEV', txnId: 'dup', ts: T0 } }));
      assert.equal(await rooms.getEvent(clash.event_id), undefined);
      assert.deepEqual(await rooms.currentState(ROOM), []);
      assert.equal(await toDevice.currentPosition('rooms'), before);
      const next = await rooms.persistEvent({ pdu: message(ROOM, ALICE, 'after') });
      assert.equal(next.streamPos, before + 1);
    });

    test('markRedacted records the first redaction only', async () => {
      const { rooms } = get();
      const ev = message(ROOM, ALICE, 'secret');
      await rooms.persistEvent({ pdu: ev });
      await rooms.markRedacted(ev.event_id, '$redaction1');
      await rooms.markRedacted(ev.event_id, '$redaction2');
      assert.equal((await rooms.getEvent(ev.event_id))?.redactedBy, '$redaction1');
    });
  });

  describe('event ranges', () => {
    test('roomEvents reads (from, to] of one room, forwards or backwards, up to the limit', async () => {
      const { rooms } = get();
      const pos: number[] = [];
      for (let i = 0; i < 5; i++) {
        pos.push((await rooms.persistEvent({ pdu: message(ROOM, ALICE, `r${i}`) })).streamPos);
        await rooms.persistEvent({ pdu: message(OTHER, BOB, `o${i}`) });
      }
      const bodies = (evs: { pdu: { content: Record<string, unknown> } }[]) => evs.map((e) => e.pdu.content.body);
      assert.deepEqual(bodies(await rooms.roomEvents(ROOM, 0, pos[4], 'f', 10)), ['r0', 'r1', 'r2', 'r3', 'r4']);
      assert.deepEqual(bodies(await rooms.roomEvents(ROOM, 0, pos[4], 'b', 10)), ['r4', 'r3', 'r2', 'r1', 'r0']);
      assert.deepEqual(bodies(await rooms.roomEvents(ROOM, pos[1], pos[3], 'f', 10)), ['r2', 'r3'], 'from is exclusive, to inclusive');
      assert.deepEqual(bodies(await rooms.roomEvents(ROOM, 0, pos[4], 'b', 2)), ['r4', 'r3']);
      assert.deepEqual(bodies(await rooms.roomEvents(ROOM, 0, pos[4], 'f', 2)), ['r0', 'r1']);
      assert.deepEqual(await rooms.roomEvents(ROOM, pos[4], pos[4] + 100, 'f', 10), []);
      assert.deepEqual((await rooms.latestEvent(ROOM))?.pdu.content.body, 'r4');
      assert.equal(await rooms.latestEvent('!empty:localhost'), undefined);
    });

    test('stateEventsBetween, roomsWithEventsBetween and countEventsAfter', async () => {
      const { rooms } = get();
      const start = (await rooms.persistEvent({ pdu: member(ROOM, ALICE, 'join') })).streamPos;
      await rooms.persistEvent({ pdu: message(ROOM, BOB, 'from bob 1') });
      const name = await rooms.persistEvent({ pdu: fakePdu({ room_id: ROOM, sender: ALICE, type: 'm.room.name', state_key: '', content: { name: 'n' } }) });
      await rooms.persistEvent({ pdu: message(ROOM, ALICE, 'own') });
      await rooms.persistEvent({ pdu: fakePdu({ room_id: ROOM, sender: BOB, type: 'm.room.encrypted', content: {} }) });
      const end = (await rooms.persistEvent({ pdu: message(OTHER, BOB, 'elsewhere') })).streamPos;

      assert.deepEqual((await rooms.stateEventsBetween(ROOM, start, end)).map((e) => e.pdu.event_id), [name.pdu.event_id]);
      assert.deepEqual((await rooms.stateEventsBetween(ROOM, start - 1, end)).length, 2);
      assert.deepEqual((await rooms.roomsWithEventsBetween([ROOM, OTHER, '!quiet:localhost'], start, end)).sort(), [OTHER, ROOM].sort());
      assert.deepEqual(await rooms.roomsWithEventsBetween([ROOM], name.streamPos, name.streamPos), []);
      assert.deepEqual(await rooms.roomsWithEventsBetween([], 0, end), []);
      assert.equal(await rooms.countEventsAfter(ROOM, start, ALICE, ['m.room.message', 'm.room.encrypted']), 2);
      assert.equal(await rooms.countEventsAfter(ROOM, name.streamPos, ALICE, ['m.room.message']), 0);
      assert.equal(await rooms.countEventsAfter(ROOM, start, ALICE, ['m.room.message', 'm.room.encrypted'], start), 0, 'an empty range');
    });

    test('roomsWithEventsBetween copes with more rooms than one statement should carry', async () => {
      const { rooms } = get();
      const many = Array.from({ length: 1200 }, (_, i) => `!r${i}:localhost`);
      const hit = await rooms.persistEvent({ pdu: message(many[1100], ALICE, 'late in the list') });
      assert.deepEqual(await rooms.roomsWithEventsBetween(many, hit.streamPos - 1, hit.streamPos), [many[1100]]);
    });
  });

  describe('aliases', () => {
    test('an alias maps to one room until deleted', async () => {
      const { rooms } = get();
      assert.equal(await rooms.putAlias('#b:localhost', ROOM, ALICE), true);
      assert.equal(await rooms.putAlias('#a:localhost', ROOM, ALICE), true);
      assert.equal(await rooms.putAlias('#a:localhost', OTHER, BOB), false, 'taken');
      assert.deepEqual(await rooms.getAlias('#a:localhost'), { roomId: ROOM, creator: ALICE });
      assert.deepEqual(await rooms.aliasesOfRoom(ROOM), ['#a:localhost', '#b:localhost']);
      assert.equal(await rooms.deleteAlias('#a:localhost'), true);
      assert.equal(await rooms.deleteAlias('#a:localhost'), false);
      assert.equal(await rooms.getAlias('#a:localhost'), undefined);
      assert.deepEqual(await rooms.aliasesOfRoom(ROOM), ['#b:localhost']);
    });
  });
}
