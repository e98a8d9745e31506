/**
 * RecentEvents: each room's newest events in memory. Every answer must be exact or
 * undefined ("ask storage"), whatever was let go; checked one rule at a time and against
 * a plain list of every event over random histories.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredEvent } from '../../../src/rooms/index.js';
import { RecentEvents, type RecentEventsLimits } from '../../../src/sync/streams/recentEvents.js';
import { seededRandom } from '../../../bench/lib/roomMix.js';

let pos = 0;
function ev(roomId: string, extra: Partial<StoredEvent['pdu']> = {}, at = ++pos): StoredEvent {
  pos = Math.max(pos, at);
  return {
    pdu: { event_id: `$e${at}`, room_id: roomId, type: 'm.room.message', sender: '@a:x', content: { body: `m${at}` }, origin_server_ts: at, depth: at, prev_events: [], auth_events: [], ...extra } as StoredEvent['pdu'],
    streamPos: at,
    redactedBy: null,
    replacesState: null,
    txn: null,
  };
}
const positions = (evs: StoredEvent[] | undefined) => evs?.map((e) => e.streamPos);

describe('RecentEvents', () => {
  test('a room with no event since start-up has none in any range above knownFrom, and cannot say below it', () => {
    const r = new RecentEvents();
    assert.deepEqual(r.newest('!quiet:x', 10, 20, 5, 10), []);
    assert.equal(r.any('!quiet:x', 12, 20, 10), false);
    assert.equal(r.newest('!quiet:x', 9, 20, 5, 10), undefined);
    assert.equal(r.any('!quiet:x', 9, 20, 10), undefined);
  });

  test('newest gives the newest n in (from, to], newest first, skipping events after to', () => {
    const r = new RecentEvents();
    for (let p = 1; p <= 6; p++) r.note(ev('!r:x', {}, p));
    assert.deepEqual(positions(r.newest('!r:x', 1, 5, 3, 0)), [5, 4, 3]);
    assert.deepEqual(positions(r.newest('!r:x', 3, 5, 10, 0)), [5, 4]);
    assert.deepEqual(positions(r.newest('!r:x', 6, 6, 10, 0)), []);
  });

  test('past the per-room cap, ranges reaching below the oldest kept event need storage unless n are there', () => {
    const r = new RecentEvents({ perRoom: 3, total: 100 });
    for (let p = 1; p <= 6; p++) r.note(ev('!r:x', {}, p));
    // 4, 5, 6 are kept; 1-3 were let go.
    assert.deepEqual(positions(r.newest('!r:x', 3, 6, 10, 0)), [6, 5, 4]);
    assert.equal(r.newest('!r:x', 2, 6, 10, 0), undefined);
    assert.deepEqual(positions(r.newest('!r:x', 0, 6, 2, 0)), [6, 5], 'the newest 2 are known however far back the range goes');
    assert.equal(r.count('!r:x', 2, 6, 0, () => true), undefined);
    assert.equal(r.count('!r:x', 3, 6, 0, () => true), 3);
    assert.equal(r.any('!r:x', 0, 6, 0), true);
    assert.equal(r.any('!r:x', 0, 3, 0), undefined);
  });

  test('over the total, the room written least recently is emptied and then needs storage for its past', () => {
    const r = new RecentEvents({ perRoom: 10, total: 4 });
    r.note(ev('!old:x', {}, 1));
    r.note(ev('!old:x', {}, 2));
    r.note(ev('!new:x', {}, 3));
    r.note(ev('!new:x', {}, 4));
    r.note(ev('!new:x', {}, 5));
    assert.equal(r.size(), 3);
    assert.equal(r.newest('!old:x', 0, 5, 5, 0), undefined);
    assert.deepEqual(positions(r.newest('!old:x', 2, 5, 5, 0)), [], 'nothing after what was let go');
    assert.deepEqual(positions(r.newest('!new:x', 0, 5, 5, 0)), [5, 4, 3]);
    r.note(ev('!old:x', {}, 6));
    assert.deepEqual(positions(r.newest('!old:x', 2, 6, 5, 0)), [6]);
  });

  test('a redaction marks the kept copy of its target, once, without touching the original object', () => {
    const r = new RecentEvents();
    const target = ev('!r:x', {}, 1);
    r.note(target);
    r.note(ev('!r:x', { type: 'm.room.redaction', redacts: '$e1' } as Partial<StoredEvent['pdu']>, 2));
    r.note(ev('!r:x', { type: 'm.room.redaction', redacts: '$e1' } as Partial<StoredEvent['pdu']>, 3));
    const kept = r.newest('!r:x', 0, 3, 5, 0)!;
    assert.equal(kept[2].redactedBy, '$e2', 'the first redaction wins, as in storage');
    assert.equal(target.redactedBy, null);
  });

  test('limits of 0 keep nothing and answer only what positions alone prove', () => {
    const r = new RecentEvents({ perRoom: 0, total: 0 });
    r.note(ev('!r:x', {}, 1));
    r.note(ev('!r:x', {}, 2));
    assert.equal(r.size(), 0);
    assert.equal(r.newest('!r:x', 1, 2, 5, 0), undefined);
    assert.deepEqual(r.newest('!r:x', 2, 9, 5, 0), []);
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`random histories: every answer is exact or undefined (seed ${seed})`, () => {
      const rand = seededRandom(seed);
      const limits: RecentEventsLimits = { perRoom: 1 + Math.floor(rand() * 6), total: 1 + Math.floor(rand() * 12) };
      const r = new RecentEvents(limits);
      const rooms = ['!a:x', '!b:x', '!c:x', '!d:x'];
      const knownFrom = 5;
      const all: StoredEvent[] = [];
      let answered = 0;
      for (let p = knownFrom + 1; p <= knownFrom + 300; p++) {
        const e = ev(rooms[Math.floor(rand() * rooms.length)], {}, p);
        all.push(e);
        r.note(e);
        for (let q = 0; q < 4; q++) {
          const roomId = rooms[Math.floor(rand() * rooms.length)];
          const to = p - Math.floor(rand() * 3);
          const from = Math.max(0, to - Math.floor(rand() * 40));
          const n = 1 + Math.floor(rand() * 8);
          const inRange = all.filter((x) => x.pdu.room_id === roomId && x.streamPos > from && x.streamPos <= to).reverse();
          const got = r.newest(roomId, from, to, n, knownFrom);
          if (from < knownFrom) {
            // Below knownFrom nothing was noted: only a full window of n may answer.
            if (got !== undefined) assert.equal(got.length, n);
          }
          if (got !== undefined) {
            assert.deepEqual(positions(got), positions(inRange.slice(0, n)), `newest ${roomId} (${from}, ${to}] n=${n}`);
            answered++;
          }
          const any = r.any(roomId, from, to, knownFrom);
          if (any !== undefined) assert.equal(any, inRange.length > 0);
          if (from < knownFrom) assert.notEqual(any, false, "below knownFrom only a found event answers");
          const count = r.count(roomId, from, to, knownFrom, (x) => x.streamPos % 2 === 0);
          if (count !== undefined) assert.equal(count, inRange.filter((x) => x.streamPos % 2 === 0).length);
        }
      }
      assert.ok(answered > 100, `most questions answered from memory (${answered})`);
    });
  }
});
