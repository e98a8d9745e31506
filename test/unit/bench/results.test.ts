import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Figures, RunResult } from '../../../bench/lib/measure.js';
import { mergeRuns, ratio, ratios } from '../../../bench/lib/results.js';
import { summarize } from '../../../bench/lib/stats.js';
import { sourceAddress, splitSizes, sumStats } from '../../../bench/lib/fleet.js';

function run(over: Partial<Figures>, samples: number[]): RunResult {
  const figures: Figures = {
    durationS: 10, loadS: 8, updatesSent: 800, updateErrors: 0, putPerSec: 100, expected: 8000, delivered: 6000, coalesced: 2000,
    missing: 0, duplicates: 0, reordered: 0, deliveredPerSec: 600, syncRequests: 6000, syncPerSec: 600, syncErrors: 0,
    messagesSent: 0, messageErrors: 0, errorsByStatus: {}, serverCpuMs: 5000, serverCpuPct: 50, serverCpuMsPerDelivered: 5000 / 6000,
    serverCpuMsPerUpdate: 5000 / 800, serverPeakRssMB: 100, serverHwmMB: 120, benchCpuMs: 1000, benchCpuPct: 10, benchProcesses: 2,
    ...over,
  };
  const s = Float64Array.from(samples);
  return { scenario: 'fanout', target: 'x', startedAt: '', figures, latency: summarize(s), putLatency: summarize([1, 2]), samples: s, notes: [] };
}

describe('mergeRuns', () => {
  test('counts and times add up; rates and per-delivery cost are recomputed, not averaged', () => {
    const a = run({}, [1, 2, 3]);
    const b = run({ durationS: 30, loadS: 24, updatesSent: 600, delivered: 3000, serverCpuMs: 1000, serverPeakRssMB: 300, errorsByStatus: { put_500: 2 } }, [10, 20]);
    const m = mergeRuns([a, b]).figures;
    assert.equal(m.durationS, 40);
    assert.equal(m.updatesSent, 1400);
    assert.equal(m.putPerSec, 1400 / 32);
    assert.equal(m.delivered, 9000);
    assert.equal(m.deliveredPerSec, 9000 / 40);
    assert.equal(m.serverCpuMs, 6000);
    assert.equal(m.serverCpuMsPerDelivered, 6000 / 9000);
    assert.equal(m.serverPeakRssMB, 300, 'peak is the largest, not a sum');
    assert.deepEqual(m.errorsByStatus, { put_500: 2 });
  });

  test('latencies are pooled before percentiles are taken', () => {
    const m = mergeRuns([run({}, [1, 2, 3]), run({}, [10, 20])]);
    assert.equal(m.samples.length, 5);
    assert.equal(m.latency.p50, 3);
    assert.equal(m.latency.max, 20);
  });

  test('server figures stay null unless every round had them', () => {
    const m = mergeRuns([run({}, [1]), run({ serverCpuMs: null, serverPeakRssMB: null }, [1])]).figures;
    assert.equal(m.serverCpuMs, null);
    assert.equal(m.serverCpuMsPerDelivered, null);
    assert.equal(m.serverPeakRssMB, null);
  });

  test('one run merges to itself', () => {
    const a = run({}, [1]);
    assert.equal(mergeRuns([a]), a);
  });
});

describe('ratios', () => {
  test('b over a, null when undefined or dividing by zero', () => {
    assert.equal(ratio(2, 5), 2.5);
    assert.equal(ratio(0, 5), null);
    assert.equal(ratio(null, 5), null);
    assert.equal(ratio(1, NaN), null);
  });

  test('every figure gets a ratio', () => {
    const r = ratios(run({ putPerSec: 100 }, [1, 2]), run({ putPerSec: 250 }, [2, 4]));
    assert.equal(r.putPerSec, 2.5);
    assert.equal(r.p50, 2);
    assert.equal(r.missing, null, '0 missing on both sides has no ratio');
  });
});

describe('fleet layout', () => {
  test('users are split into the fewest children of at most perChild, as even as possible', () => {
    assert.deepEqual(splitSizes(50, 1000), [50]);
    assert.deepEqual(splitSizes(1000, 1000), [1000]);
    assert.deepEqual(splitSizes(1001, 1000), [501, 500]);
    assert.deepEqual(splitSizes(5000, 1000), [1000, 1000, 1000, 1000, 1000]);
    assert.equal(splitSizes(20_000, 1000).reduce((a, b) => a + b, 0), 20_000);
  });

  test('each child gets its own 127.x source address, never 127.0.0.1', () => {
    const addrs = Array.from({ length: 600 }, (_, i) => sourceAddress(i));
    assert.equal(new Set(addrs).size, 600);
    assert.equal(addrs[0], '127.0.1.1');
    for (const a of addrs) {
      assert.match(a, /^127\.0\.\d+\.\d+$/);
      assert.notEqual(a, '127.0.0.1');
      assert.ok(a.split('.').every((p) => Number(p) <= 255));
    }
  });

  test('children counters add up', () => {
    const s = sumStats([
      { syncs: 3, syncErrors: 1, errorsByStatus: { network: 1 }, warm: 2, initialDone: 1, counts: { delivered: 5, coalesced: 1, duplicates: 0, reordered: 0 }, cpuMs: 10 },
      { syncs: 4, syncErrors: 2, errorsByStatus: { network: 1, '502': 1 }, warm: 3, initialDone: 2, counts: { delivered: 1, coalesced: 0, duplicates: 2, reordered: 1 }, cpuMs: 5 },
    ]);
    assert.deepEqual(s, { syncs: 7, syncErrors: 3, errorsByStatus: { network: 2, '502': 1 }, warm: 5, initialDone: 3, counts: { delivered: 6, coalesced: 1, duplicates: 2, reordered: 1 }, cpuMs: 15 });
  });
});
