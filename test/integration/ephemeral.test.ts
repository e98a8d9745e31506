/** Spec chapters "Typing Notifications", "Receipts", "Fully read markers": what reaches /sync. Time is a ManualClock. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { assertError, assertOk, enc, joinedRoom, roomPath, sharedRoom, syncOk, useServer } from '../helpers/integration.js';
import type { TestClient } from '../helpers/client.js';

const clock = new ManualClock();
const ctx = useServer({ clock });

const ephemeralOf = (sync: any, roomId: string, type: string): any[] =>
  (joinedRoom(sync, roomId)?.ephemeral?.events ?? []).filter((e: any) => e.type === type);

const typingPath = (roomId: string, userId: string) => roomPath(roomId, 'typing', userId);

async function pair(prefix: string): Promise<{ alice: TestClient; bob: TestClient; roomId: string }> {
  const alice = await ctx.user(`${prefix}a`);
  const bob = await ctx.user(`${prefix}b`);
  const roomId = await sharedRoom(alice, [bob]);
  return { alice, bob, roomId };
}

describe('typing', () => {
  test('start and stop reach the other member as m.typing in incremental syncs', async () => {
    const { alice, bob, roomId } = await pair('ty');
    let since = (await syncOk(bob)).next_batch;
    assertOk(await alice.put(typingPath(roomId, alice.userId), { typing: true, timeout: 30000 }));
    let sync = await syncOk(bob, { since });
    assert.deepEqual(ephemeralOf(sync, roomId, 'm.typing').map((e) => e.content), [{ user_ids: [alice.userId] }]);
    since = sync.next_batch;
    assertOk(await alice.put(typingPath(roomId, alice.userId), { typing: false }));
    sync = await syncOk(bob, { since });
    assert.deepEqual(ephemeralOf(sync, roomId, 'm.typing').map((e) => e.content), [{ user_ids: [] }]);
  });

  test('typing expires after its timeout on the clock', async () => {
    const { alice, bob, roomId } = await pair('tyexp');
    assertOk(await alice.put(typingPath(roomId, alice.userId), { typing: true, timeout: 5000 }));
    const initial = await syncOk(bob);
    assert.deepEqual(ephemeralOf(initial, roomId, 'm.typing').map((e) => e.content), [{ user_ids: [alice.userId] }]);
    clock.advance(4000);
    const still = await syncOk(bob, { since: initial.next_batch });
    assert.equal(ephemeralOf(still, roomId, 'm.typing').length, 0, 'nothing changed yet');
    clock.advance(1001);
    const expired = await syncOk(bob, { since: initial.next_batch });
    assert.deepEqual(ephemeralOf(expired, roomId, 'm.typing').map((e) => e.content), [{ user_ids: [] }]);
  });

  test('typing for another user or in a room one has not joined is 403', async () => {
    const { alice, bob, roomId } = await pair('ty403');
    const outsider = await ctx.user('tyout');
    assertError(await alice.put(typingPath(roomId, bob.userId), { typing: true }), 403, 'M_FORBIDDEN');
    assertError(await outsider.put(typingPath(roomId, outsider.userId), { typing: true }), 403, 'M_FORBIDDEN');
  });
});

describe('receipts', () => {
  test('m.read reaches the other member with the receipt time; unread count drops to 0', async () => {
    const { alice, bob, roomId } = await pair('rc');
    const since = (await syncOk(alice)).next_batch;
    await alice.send(roomId, 'one');
    const eventId = await alice.send(roomId, 'two');
    const bobSync = await syncOk(bob);
    assert.equal(joinedRoom(bobSync, roomId).unread_notifications.notification_count, 2);

    assert.deepEqual(assertOk(await bob.post(roomPath(roomId, 'receipt', 'm.read', eventId), {})), {});
    const sync = await syncOk(alice, { since });
    const receipts = ephemeralOf(sync, roomId, 'm.receipt');
    assert.equal(receipts.length, 1);
    assert.deepEqual(receipts[0].content[eventId]['m.read'][bob.userId], { ts: clock.now() });
    assert.equal(joinedRoom(await syncOk(bob), roomId).unread_notifications.notification_count, 0);
  });

  test('the unread count stays right across incremental syncs, a receipt, and messages after it', async () => {
    const { alice, bob, roomId } = await pair('rcn');
    const count = (s: any) => joinedRoom(s, roomId)?.unread_notifications.notification_count;
    for (const t of ['a', 'b', 'c']) await alice.send(roomId, t);
    const s1 = await syncOk(bob);
    assert.equal(count(s1), 3);
    await alice.send(roomId, 'd');
    await bob.send(roomId, 'own messages do not count');
    const last = await alice.send(roomId, 'e');
    const s2 = await syncOk(bob, { since: s1.next_batch });
    assert.equal(count(s2), 5);
    assertOk(await bob.post(roomPath(roomId, 'receipt', 'm.read', last), {}));
    const s3 = await syncOk(bob, { since: s2.next_batch });
    assert.equal(count(s3), 0);
    await alice.send(roomId, 'f');
    const s4 = await syncOk(bob, { since: s3.next_batch });
    assert.equal(count(s4), 1);
    assert.equal(count(await syncOk(bob)), 1, 'an initial sync agrees');
  });

  test('a private receipt is seen only by its owner', async () => {
    const { alice, bob, roomId } = await pair('rcp');
    const eventId = await alice.send(roomId, 'secret read');
    assertOk(await bob.post(roomPath(roomId, 'receipt', 'm.read.private', eventId), {}));
    const mine = ephemeralOf(await syncOk(bob), roomId, 'm.receipt');
    assert.ok(mine[0]?.content[eventId]['m.read.private'][bob.userId], JSON.stringify(mine));
    const theirs = ephemeralOf(await syncOk(alice), roomId, 'm.receipt');
    assert.ok(!JSON.stringify(theirs).includes('m.read.private'), JSON.stringify(theirs));
  });

  test('a threaded receipt carries its thread_id', async () => {
    const { alice, bob, roomId } = await pair('rct');
    const eventId = await alice.send(roomId, 'root');
    assertOk(await bob.post(roomPath(roomId, 'receipt', 'm.read', eventId), { thread_id: eventId }));
    const receipts = ephemeralOf(await syncOk(alice), roomId, 'm.receipt');
    assert.equal(receipts[0].content[eventId]['m.read'][bob.userId].thread_id, eventId);
  });

  test('unknown receipt type is 400, unknown event 404, not joined 403', async () => {
    const { alice, roomId } = await pair('rce');
    const outsider = await ctx.user('rcout');
    const eventId = await alice.send(roomId, 'x');
    const badType = await alice.post(roomPath(roomId, 'receipt', 'm.nonsense', eventId), {});
    assert.equal(badType.status, 400, JSON.stringify(badType.body));
    assertError(await alice.post(roomPath(roomId, 'receipt', 'm.read', '$unknown'), {}), 404, 'M_NOT_FOUND');
    assertError(await outsider.post(roomPath(roomId, 'receipt', 'm.read', eventId), {}), 403, 'M_FORBIDDEN');
  });
});

describe('read markers', () => {
  test('m.fully_read lands in room account data and m.read becomes a receipt', async () => {
    const { alice, bob, roomId } = await pair('rm');
    const eventId = await alice.send(roomId, 'read to here');
    const since = (await syncOk(bob)).next_batch;
    assertOk(await bob.post(roomPath(roomId, 'read_markers'), { 'm.fully_read': eventId, 'm.read': eventId }));

    const bobSync = await syncOk(bob, { since });
    const data = joinedRoom(bobSync, roomId).account_data.events;
    assert.deepEqual(data.find((e: any) => e.type === 'm.fully_read'), { type: 'm.fully_read', content: { event_id: eventId } });
    const stored = assertOk(await bob.get(`/_matrix/client/v3/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`));
    assert.deepEqual(stored, { event_id: eventId });

    const aliceReceipts = ephemeralOf(await syncOk(alice), roomId, 'm.receipt');
    assert.ok(aliceReceipts[0].content[eventId]['m.read'][bob.userId], 'aliceReceipts[0].content[eventId][\'m.read\'][bob.userId]');
  });

  test('a read marker for an unknown event is 404', async () => {
    const { bob, roomId } = await pair('rm404');
    assertError(await bob.post(roomPath(roomId, 'read_markers'), { 'm.fully_read': '$nope' }), 404, 'M_NOT_FOUND');
  });
});
