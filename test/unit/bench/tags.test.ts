import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DeliveryTracker, makeTag, missingOf, newRunId, nextBatchOf, scanTags, warmTag } from '../../../bench/lib/tags.js';

function scan(text: string, run: string): [number, number, number][] {
  const out: [number, number, number][] = [];
  scanTags(text, run, (s, k, q) => out.push([s, k, q]));
  return out;
}

describe('tags', () => {
  test('a tag round-trips through a /sync body', () => {
    const body = JSON.stringify({
      next_batch: 's1',
      presence: { events: [{ type: 'm.presence', sender: '@w:x', content: { presence: 'online', status_msg: makeTag('abc123', { sender: 7, k: 42, seq: 1001 }) } }] },
    });
    assert.deepEqual(scan(body, 'abc123'), [[7, 42, 1001]]);
  });

  test('finds every tag of the run in order and ignores other runs', () => {
    const text = `${makeTag('r1', { sender: 0, k: 1, seq: 1 })} ${makeTag('r2', { sender: 0, k: 9, seq: 9 })} ${makeTag('r1', { sender: 3, k: 2, seq: 5 })}`;
    assert.deepEqual(scan(text, 'r1'), [[0, 1, 1], [3, 2, 5]]);
  });

  test('malformed tags are skipped without stopping the scan', () => {
    const text = `bench:r1:x:1:1 bench:r1:1:: bench:r1:2:3 ${makeTag('r1', { sender: 4, k: 5, seq: 6 })}`;
    assert.deepEqual(scan(text, 'r1'), [[4, 5, 6]]);
  });

  test('the warm-up marker is not a measured tag', () => {
    assert.deepEqual(scan(warmTag('r1'), 'r1'), []);
  });

  test('run ids are 6 base-36 characters, safe inside a tag', () => {
    assert.match(newRunId(() => 0), /^[0-9a-z]{6}$/);
    assert.match(newRunId(() => 0.999999), /^[0-9a-z]{6}$/);
  });
});

describe('nextBatchOf', () => {
  test('reads next_batch without parsing, wherever it is in the body', () => {
    assert.equal(nextBatchOf('{"account_data":{},"next_batch":"s72_4_1","rooms":{}}'), 's72_4_1');
    assert.equal(nextBatchOf('{"next_batch": "p9"}'), 'p9');
  });

  test('falls back to JSON.parse when the token has escapes', () => {
    assert.equal(nextBatchOf(JSON.stringify({ next_batch: 'a"b\\c' })), 'a"b\\c');
  });

  test('the token does not keep the body it came from alive', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept: string[] = [];
    // 100 bodies of 1 MB: a sliced token would retain all of them (100 MB).
    for (let i = 0; i < 100; i++) kept.push(nextBatchOf(`{"next_batch":"s${i}_123456789012345678","pad":"${'x'.repeat(1_000_000 + i)}"}`)!);
    gc();
    const grownMB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    assert.equal(kept[99], 's99_123456789012345678');
    assert.ok(grownMB < 20, `heap grew ${grownMB.toFixed(1)} MB`);
  });

  test('undefined when missing or not a string', () => {
    assert.equal(nextBatchOf('{"errcode":"M_UNKNOWN"}'), undefined);
    assert.equal(nextBatchOf('{"next_batch":5}'), undefined);
  });
});

describe('DeliveryTracker', () => {
  test('in-order sightings are all delivered', () => {
    const t = new DeliveryTracker();
    assert.equal(t.see(1, 0, 1), true);
    assert.equal(t.see(1, 0, 2), true);
    assert.equal(t.see(2, 0, 1), true);
    assert.deepEqual(t.counts, { delivered: 3, coalesced: 0, duplicates: 0, reordered: 0 });
  });

  test('a later update seen first counts the skipped ones as coalesced, not lost', () => {
    const t = new DeliveryTracker();
    t.see(1, 0, 1);
    assert.equal(t.see(1, 0, 5), true);
    assert.deepEqual(t.counts, { delivered: 2, coalesced: 3, duplicates: 0, reordered: 0 });
    assert.equal(missingOf(5, t.counts), 0);
  });

  test('the same tag twice is a duplicate and is not timed again', () => {
    const t = new DeliveryTracker();
    t.see(1, 0, 3);
    assert.equal(t.see(1, 0, 3), false);
    assert.equal(t.counts.duplicates, 1);
  });

  test('a skipped update arriving late moves from coalesced to delivered, once', () => {
    const t = new DeliveryTracker();
    t.see(1, 0, 3);
    assert.equal(t.see(1, 0, 2), true);
    assert.deepEqual(t.counts, { delivered: 2, coalesced: 1, duplicates: 0, reordered: 1 });
    assert.equal(t.see(1, 0, 2), false);
    assert.equal(t.counts.duplicates, 1);
  });

  test('senders are accounted separately for each observer', () => {
    const t = new DeliveryTracker();
    t.see(1, 10, 2);
    t.see(1, 11, 1);
    t.see(2, 10, 1);
    assert.deepEqual(t.counts, { delivered: 3, coalesced: 1, duplicates: 0, reordered: 0 });
  });

  test('an update the server refused is not coalesced by observers who skip over it', () => {
    const t = new DeliveryTracker();
    t.refuse(0, 2);
    t.see(1, 0, 1);
    t.see(1, 0, 4);
    // 2 was never owed: only 3 was coalesced.
    assert.deepEqual(t.counts, { delivered: 2, coalesced: 1, duplicates: 0, reordered: 0 });
  });

  test('a refusal learnt after an observer skipped over it takes back that coalesced count', () => {
    const t = new DeliveryTracker();
    t.see(1, 0, 3);
    t.see(2, 0, 1);
    assert.equal(t.counts.coalesced, 2);
    t.refuse(0, 2);
    // Observer 1 had counted 2 as coalesced; observer 2 has not reached it yet.
    assert.equal(t.counts.coalesced, 1);
    t.see(2, 0, 3);
    assert.equal(t.counts.coalesced, 1, 'observer 2 skipped a refused update only');
    t.refuse(0, 2);
    assert.equal(t.counts.coalesced, 1, 'the same refusal twice counts once');
    // Updates 1 and 3 owed to 2 observers: 3 deliveries and 1 coalesced, nothing missing.
    assert.equal(missingOf(2 * 2, t.counts), 0);
  });

  test('a refused update that arrives anyway is delivered without taking back a coalesced count', () => {
    const t = new DeliveryTracker();
    t.refuse(0, 2);
    t.see(1, 0, 3);
    assert.equal(t.counts.coalesced, 1);
    assert.equal(t.see(1, 0, 2), true);
    assert.deepEqual(t.counts, { delivered: 2, coalesced: 1, duplicates: 0, reordered: 1 });
  });

  test('missing is what was owed and neither delivered nor coalesced', () => {
    const t = new DeliveryTracker();
    t.see(1, 0, 2);
    // 3 observers owed updates 1..2: observer 1 saw 2 (1 coalesced), the others nothing.
    assert.equal(missingOf(6, t.counts), 4);
    assert.equal(missingOf(1, t.counts), 0, 'never negative');
  });
});
