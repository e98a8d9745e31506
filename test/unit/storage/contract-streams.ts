/** Contract: receipts, to-device messages, and stream positions. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { T0, type GetContext } from './fixtures.js';

const ROOM = '!room:localhost';
const OTHER = '!other:localhost';
const ALICE = '@alice:localhost';
const BOB = '@bob:localhost';

export function streamsContract(get: GetContext): void {
  describe('stream positions', () => {
    test('every stream starts at 0 after migration', async () => {
      const { toDevice } = get();
      for (const s of ['rooms', 'receipts', 'accountData', 'toDevice']) assert.equal(await toDevice.currentPosition(s), 0, s);
      assert.equal(await toDevice.currentPosition('no-such-stream'), 0);
    });
  });

  describe('receipts', () => {
    test('a receipt per (room, user, type, thread); an update replaces it at a new position', async () => {
      const { rooms } = get();
      const p1 = await rooms.putReceipt({ roomId: ROOM, userId: ALICE, receiptType: 'm.read', threadId: '', eventId: '$e1', ts: T0 });
      const p2 = await rooms.putReceipt({ roomId: ROOM, userId: BOB, receiptType: 'm.read', threadId: '', eventId: '$e1', ts: T0 + 1 });
      const p3 = await rooms.putReceipt({ roomId: ROOM, userId: ALICE, receiptType: 'm.read', threadId: '$thread', eventId: '$e2', ts: T0 + 2 });
      const p4 = await rooms.putReceipt({ roomId: OTHER, userId: ALICE, receiptType: 'm.read.private', threadId: '', eventId: '$e9', ts: T0 + 3 });
      const p5 = await rooms.putReceipt({ roomId: ROOM, userId: ALICE, receiptType: 'm.read', threadId: '', eventId: '$e3', ts: T0 + 4 });
      assert.ok(p1 < p2 && p2 < p3 && p3 < p4 && p4 < p5, `positions ${[p1, p2, p3, p4, p5]}`);

      assert.deepEqual(await rooms.userReceipt(ROOM, ALICE, 'm.read'), {
        roomId: ROOM, userId: ALICE, receiptType: 'm.read', threadId: '', eventId: '$e3', ts: T0 + 4, streamPos: p5,
      });
      assert.equal(await rooms.userReceipt(ROOM, ALICE, 'm.read.private'), undefined);
      assert.equal((await rooms.receiptsOfRoom(ROOM)).length, 3, 'the update replaced the old unthreaded receipt');

      const between = await rooms.receiptsBetween([ROOM], p2, p5);
      assert.deepEqual(between.map((r) => r.eventId).sort(), ['$e2', '$e3']);
      assert.deepEqual((await rooms.receiptsBetween([ROOM, OTHER], -1, p5)).length, 4);
      assert.deepEqual(await rooms.receiptsBetween([], -1, p5), []);
      assert.deepEqual((await rooms.receiptsBetween([OTHER], -1, p5)).map((r) => r.receiptType), ['m.read.private']);
    });
  });

  describe('to-device', () => {
    test('messages queue per device in order, page by limit, and are deleted up to an acknowledged position', async () => {
      const { toDevice } = get();
      const first = await toDevice.addToDevice(BOB, 'm.test', [
        { userId: ALICE, deviceId: 'ONE', content: { n: 1 } },
        { userId: ALICE, deviceId: 'TWO', content: { n: 1 } },
      ]);
      const second = await toDevice.addToDevice(BOB, 'm.test', [{ userId: ALICE, deviceId: 'ONE', content: { n: 2 } }]);
      const third = await toDevice.addToDevice(ALICE, 'm.other', [{ userId: ALICE, deviceId: 'ONE', content: { n: 3 } }]);
      assert.ok(first < second && second < third, `positions ${[first, second, third]}`);
      assert.equal(await toDevice.currentPosition('toDevice'), third);

      const all = await toDevice.toDeviceBetween(ALICE, 'ONE', 0, third, 10);
      assert.deepEqual(all.map((m) => [m.sender, m.type, m.content.n]), [[BOB, 'm.test', 1], [BOB, 'm.test', 2], [ALICE, 'm.other', 3]]);
      assert.ok(all.every((m, i) => i === 0 || m.streamPos > all[i - 1].streamPos), 'ascending positions');
      assert.deepEqual((await toDevice.toDeviceBetween(ALICE, 'ONE', 0, third, 2)).map((m) => m.content.n), [1, 2]);
      assert.deepEqual((await toDevice.toDeviceBetween(ALICE, 'ONE', second, third, 10)).map((m) => m.content.n), [3]);
      assert.deepEqual((await toDevice.toDeviceBetween(ALICE, 'TWO', 0, third, 10)).map((m) => m.content.n), [1]);

      await toDevice.deleteToDeviceUpTo(ALICE, 'ONE', second);
      assert.deepEqual((await toDevice.toDeviceBetween(ALICE, 'ONE', 0, third, 10)).map((m) => m.content.n), [3]);
      assert.equal((await toDevice.toDeviceBetween(ALICE, 'TWO', 0, third, 10)).length, 1, 'other devices keep theirs');
    });

    test('one add with several targets is one transaction with one position each', async () => {
      const { toDevice } = get();
      const targets = Array.from({ length: 5 }, (_, i) => ({ userId: ALICE, deviceId: `D${i}`, content: { i } }));
      const last = await toDevice.addToDevice(BOB, 'm.fanout', targets);
      const positions = [];
      for (const t of targets) positions.push(...(await toDevice.toDeviceBetween(ALICE, t.deviceId, 0, last, 10)).map((m) => m.streamPos));
      assert.equal(new Set(positions).size, 5);
      assert.equal(Math.max(...positions), last);
    });
  });
}
