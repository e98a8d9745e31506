import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SampleRecorder, cdfPoints, logHistogram, percentile, summarize } from '../../../bench/lib/stats.js';

describe('percentile (nearest rank)', () => {
  const ten = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

  test('picks the smallest value with at least p% at or below it', () => {
    assert.equal(percentile(ten, 50), 5);
    assert.equal(percentile(ten, 51), 6);
    assert.equal(percentile(ten, 95), 10);
    assert.equal(percentile(ten, 10), 1);
    assert.equal(percentile(ten, 11), 2);
  });

  test('p0 is the minimum, p100 the maximum, empty input is NaN', () => {
    assert.equal(percentile(ten, 0), 1);
    assert.equal(percentile(ten, 100), 10);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  test('p99 of 1..1000 is 990, not an interpolation', () => {
    const a = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    assert.equal(percentile(a, 99), 990);
    assert.equal(percentile(a, 99.9), 999);
  });
});

describe('summarize', () => {
  test('sorts its input and reports count, min, mean, percentiles and max', () => {
    const s = summarize([30, 10, 20, 40]);
    assert.deepEqual(s, { count: 4, min: 10, mean: 25, p50: 20, p95: 40, p99: 40, max: 40 });
  });

  test('an empty input gives count 0 and NaN figures', () => {
    const s = summarize([]);
    assert.equal(s.count, 0);
    assert.ok(Number.isNaN(s.p50));
  });
});

describe('SampleRecorder', () => {
  test('grows past its initial buffer and keeps every sample under the cap', () => {
    const r = new SampleRecorder(100_000);
    for (let i = 0; i < 10_000; i++) r.add(i);
    assert.equal(r.values().length, 10_000);
    assert.equal(r.summary().p50, 4999);
  });

  test('past the cap it keeps a reservoir of cap samples while count and max stay exact', () => {
    let x = 0;
    const r = new SampleRecorder(100, () => (x = (x * 9301 + 49297) % 233280) / 233280);
    for (let i = 1; i <= 1000; i++) r.add(i);
    assert.equal(r.values().length, 100);
    assert.equal(r.count, 1000);
    const s = r.summary();
    assert.equal(s.count, 1000);
    assert.equal(s.max, 1000);
    // A uniform reservoir of 1..1000 has its median far from the first 100 values.
    assert.ok(s.p50 > 200, `p50 ${s.p50}`);
  });
});

describe('logHistogram', () => {
  test('every sample lands in exactly one bucket and edges are log-spaced', () => {
    const samples = [0.05, 0.1, 0.5, 1, 1.0001, 9.99, 10, 99, 250];
    const h = logHistogram(samples, 10, 0.1);
    assert.equal(h.counts.reduce((a, b) => a + b, 0), samples.length);
    assert.equal(h.edges.length, h.counts.length + 1);
    assert.ok(Math.abs(h.edges[10] - 1) < 1e-9);
    assert.ok(h.edges[h.edges.length - 1] >= 250);
    for (let i = 0; i < samples.length; i++) {
      const v = samples[i];
      const b = h.edges.findIndex((e, j) => j < h.counts.length && (v <= 0.1 ? j === 0 : v >= e && v < h.edges[j + 1]));
      assert.ok(b >= 0, `no bucket for ${v}`);
    }
  });

  test('a value exactly on an edge goes to the bucket that starts there', () => {
    const h = logHistogram([1], 10, 0.1);
    assert.equal(h.counts[10], 1);
  });
});

describe('cdfPoints', () => {
  test('is non-decreasing, starts at the minimum and ends at (max, 1)', () => {
    const samples = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    const pts = cdfPoints(samples, 50);
    assert.ok(pts.length <= 52);
    assert.deepEqual(pts[0], [0, 1 / 5000]);
    assert.deepEqual(pts[pts.length - 1], [4999, 1]);
    for (let i = 1; i < pts.length; i++) {
      assert.ok(pts[i][0] >= pts[i - 1][0]);
      assert.ok(pts[i][1] > pts[i - 1][1]);
    }
  });

  test('no samples, no points', () => {
    assert.deepEqual(cdfPoints([]), []);
  });
});
