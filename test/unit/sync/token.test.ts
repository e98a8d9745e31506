import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixError } from '../../../src/common/errors.js';
import {
  STREAMS,
  zeroPositions,
  encodeSyncToken,
  decodeSyncToken,
  maxPositions,
  positionsAfter,
  encodeRoomToken,
  decodeRoomToken,
  type StreamPositions,
} from '../../../src/sync/token.js';

const pos = (...n: number[]): StreamPositions => {
  const p = zeroPositions();
  STREAMS.forEach((s, i) => (p[s] = n[i] ?? 0));
  return p;
};

function assertInvalid(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MatrixError);
    assert.equal(e.status, 400);
    assert.equal(e.errcode, 'M_INVALID_PARAM');
    assert.equal(e.message, message);
    return true;
  });
}

void describe('sync tokens', () => {
  void test('streams are in the agreed order', () => {
    assert.deepEqual([...STREAMS], ['rooms', 'presence', 'typing', 'receipts', 'accountData', 'toDevice', 'deviceLists']);
  });

  void test('zeroPositions has every stream at 0', () => {
    assert.deepEqual(zeroPositions(), { rooms: 0, presence: 0, typing: 0, receipts: 0, accountData: 0, toDevice: 0, deviceLists: 0 });
  });

  void test('encodes compactly in stream order', () => {
    assert.equal(encodeSyncToken(pos(12, 3, 0, 7, 1, 0, 0)), 's12_3_0_7_1_0_0');
  });

  void test('round-trips', () => {
    const p = pos(12, 3, 0, 7, 1, 9, 2 ** 40);
    assert.deepEqual(decodeSyncToken(encodeSyncToken(p)), p);
  });

  void test('encoded token is URL-safe', () => {
    const t = encodeSyncToken(pos(1, 2, 3, 4, 5, 6, 7));
    assert.equal(encodeURIComponent(t), t);
  });

  void test('a shorter token from an older version pads with 0', () => {
    assert.deepEqual(decodeSyncToken('s5_4'), pos(5, 4));
    assert.deepEqual(decodeSyncToken('s9'), pos(9));
  });

  for (const bad of [
    '', 's', 'x12_3', '12_3', 's12__3', 's12_', 's_1', 's-1_0', 's1.5', 's1e3', 's01', 's+1',
    's1_2_3_4_5_6_7_8', 's 1', 's9007199254740993', 's0x10', `s${'1'.repeat(300)}`,
  ]) {
    void test(`rejects malformed ${JSON.stringify(bad.slice(0, 30))}`, () => {
      assertInvalid(() => decodeSyncToken(bad), 'Invalid sync token');
    });
  }

  void test('rejects a non-string at runtime', () => {
    assertInvalid(() => decodeSyncToken(12 as unknown as string), 'Invalid sync token');
  });

  void test('maxPositions takes the max per stream', () => {
    assert.deepEqual(maxPositions(pos(1, 9, 0, 4), pos(3, 2, 0, 4, 1)), pos(3, 9, 0, 4, 1));
  });

  void test('positionsAfter: true when any stream is ahead', () => {
    assert.equal(positionsAfter(pos(1, 2, 3), pos(1, 2, 3)), false);
    assert.equal(positionsAfter(pos(1, 2, 4), pos(1, 2, 3)), true);
    assert.equal(positionsAfter(pos(0, 0, 0, 0, 0, 0, 1), pos()), true);
    // behind on one stream and ahead on another still counts as ahead
    assert.equal(positionsAfter(pos(0, 5), pos(3, 0)), true);
    assert.equal(positionsAfter(pos(1, 1), pos(3, 2)), false);
  });
});

void describe('room tokens', () => {
  void test('encodes stream-only and topological forms', () => {
    assert.equal(encodeRoomToken({ stream: 12 }), 's12');
    assert.equal(encodeRoomToken({ stream: 12, topological: 5 }), 't5-12');
  });

  void test('round-trips', () => {
    assert.deepEqual(decodeRoomToken(encodeRoomToken({ stream: 12 })), { stream: 12 });
    assert.deepEqual(decodeRoomToken(encodeRoomToken({ stream: 12, topological: 5 })), { stream: 12, topological: 5 });
    assert.deepEqual(decodeRoomToken('t0-0'), { stream: 0, topological: 0 });
  });

  void test('a sync token is accepted and yields its rooms position', () => {
    assert.deepEqual(decodeRoomToken(encodeSyncToken(pos(42, 7, 1))), { stream: 42 });
  });

  for (const bad of ['', 't', 't5', 't5-', 't-5', 't5-12-3', 't5_12', 'ta-1', 't1-b', 'x12', 's', 's1_', 'sabc', 't-1-2', 't1.5-2']) {
    void test(`rejects malformed ${JSON.stringify(bad)}`, () => {
      assertInvalid(() => decodeRoomToken(bad), 'Invalid pagination token');
    });
  }
});
