import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixError } from '../../../src/common/errors.js';
import {
  STREAMS,
  zeroPositions,
  encodeSyncToken,
  decodeSyncToken,
  raisePositions,
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

  void test('raisePositions raises every stream, each on its own, and never lowers one', () => {
    for (const s of STREAMS) {
      const to = pos(5, 5, 5, 5, 5, 5, 5);
      const floor = pos(1, 1, 1, 1, 1, 1, 1);
      floor[s] = 9;
      raisePositions(to, floor);
      const want = pos(5, 5, 5, 5, 5, 5, 5);
      want[s] = 9;
      assert.deepEqual(to, want, s);
    }
  });

  void test('decoding agrees with the rule it implements on random strings', () => {
    // The rule, written the slow way: 's', then 1 to 7 canonical safe integers joined by '_'.
    const reference = (t: string): StreamPositions | null => {
      if (t.length > 200 || t[0] !== 's') return null;
      const parts = t.slice(1).split('_');
      if (parts.length > STREAMS.length) return null;
      const out = zeroPositions();
      for (let i = 0; i < parts.length; i++) {
        if (!/^(0|[1-9][0-9]*)$/.test(parts[i]) || !Number.isSafeInteger(Number(parts[i]))) return null;
        out[STREAMS[i]] = Number(parts[i]);
      }
      return out;
    };
    let seed = 7; // Park-Miller: products stay exact in a double
    const rand = (n: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    // Mostly token-shaped strings (parts joined by '_'), some of them broken by a stray character.
    const parts = ['0', '7', '12', '305', '00', '01', '', '9007199254740991', '9007199254740992', '1e3', '-1'];
    const stray = ['_', 'x', ' ', '.', '+'];
    let accepted = 0;
    for (let k = 0; k < 5000; k++) {
      const n = 1 + rand(8);
      const chosen: string[] = [];
      for (let i = 0; i < n; i++) chosen.push(parts[rand(3) === 0 ? rand(parts.length) : rand(4)]);
      let t = (rand(10) === 0 ? 'x' : 's') + chosen.join('_');
      if (rand(4) === 0) {
        const at = rand(t.length + 1);
        t = t.slice(0, at) + stray[rand(stray.length)] + t.slice(at);
      }
      const want = reference(t);
      if (want === null) assertInvalid(() => decodeSyncToken(t), 'Invalid sync token');
      else {
        accepted++;
        assert.deepEqual(decodeSyncToken(t), want, t);
      }
    }
    assert.ok(accepted > 200, `enough valid tokens were tried (${accepted})`);
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
