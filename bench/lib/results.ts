/** Combining runs (compare rounds) and the list of figures every output shows, with their ratios. */
import type { Figures, RunResult } from './measure.js';
import { summarize, type Summary } from './stats.js';

/** Adds up rounds of the same scenario on the same target: counts and times add, rates are recomputed. */
export function mergeRuns(runs: RunResult[]): RunResult {
  if (runs.length === 0) throw new Error('nothing to merge');
  if (runs.length === 1) return runs[0];
  const f = runs.map((r) => r.figures);
  const sum = (k: keyof Figures) => f.reduce((a, x) => a + ((x[k] as number | null) ?? 0), 0);
  const allHave = (k: keyof Figures) => f.every((x) => x[k] !== null);
  const durationS = sum('durationS');
  const loadS = sum('loadS');
  const delivered = sum('delivered');
  const updatesSent = sum('updatesSent');
  const serverCpuMs = allHave('serverCpuMs') ? sum('serverCpuMs') : null;
  const errorsByStatus: Record<string, number> = {};
  for (const x of f) for (const [k, v] of Object.entries(x.errorsByStatus)) errorsByStatus[k] = (errorsByStatus[k] ?? 0) + v;
  const benchCpuMs = sum('benchCpuMs');
  const maxOf = (k: keyof Figures) => (allHave(k) ? Math.max(...f.map((x) => x[k] as number)) : null);
  const figures: Figures = {
    durationS,
    loadS,
    updatesSent,
    updateErrors: sum('updateErrors'),
    putPerSec: updatesSent / loadS,
    expected: sum('expected'),
    delivered,
    coalesced: sum('coalesced'),
    missing: sum('missing'),
    duplicates: sum('duplicates'),
    reordered: sum('reordered'),
    deliveredPerSec: delivered / durationS,
    syncRequests: sum('syncRequests'),
    syncPerSec: sum('syncRequests') / durationS,
    syncErrors: sum('syncErrors'),
    messagesSent: sum('messagesSent'),
    messageErrors: sum('messageErrors'),
    errorsByStatus,
    serverCpuMs,
    serverCpuPct: serverCpuMs === null ? null : (serverCpuMs / (durationS * 1000)) * 100,
    serverCpuMsPerDelivered: serverCpuMs === null || delivered === 0 ? null : serverCpuMs / delivered,
    serverCpuMsPerUpdate: serverCpuMs === null || updatesSent === 0 ? null : serverCpuMs / updatesSent,
    serverPeakRssMB: maxOf('serverPeakRssMB'),
    serverHwmMB: maxOf('serverHwmMB'),
    benchCpuMs,
    benchCpuPct: (benchCpuMs / (durationS * 1000)) * 100,
    benchProcesses: Math.max(...f.map((x) => x.benchProcesses)),
  };
  const total = runs.reduce((n, r) => n + r.samples.length, 0);
  const samples = new Float64Array(total);
  let at = 0;
  for (const r of runs) {
    samples.set(r.samples, at);
    at += r.samples.length;
  }
  const latency: Summary = summarize(samples);
  latency.max = Math.max(...runs.map((r) => r.latency.max).filter((x) => !Number.isNaN(x)), latency.max);
  latency.count = runs.reduce((n, r) => n + r.latency.count, 0);
  // PUT latency samples are not kept per round: the merged figure is the worst round's.
  const putLatency = runs.map((r) => r.putLatency).reduce((a, b) => (b.p99 > a.p99 ? b : a));
  return { ...runs[0], figures, latency, putLatency, samples, notes: runs.flatMap((r) => r.notes) };
}

export interface Row {
  key: string;
  label: string;
  get: (r: RunResult) => number | null;
  digits: number;
}

const L = (k: keyof Summary) => (r: RunResult) => (r.latency.count > 0 ? r.latency[k] : null);
const F = (k: keyof Figures) => (r: RunResult) => r.figures[k] as number | null;

/** The figures of the issue, in the order the table shows them. */
export const ROWS: Row[] = [
  { key: 'putPerSec', label: 'presence PUT/s', get: F('putPerSec'), digits: 1 },
  { key: 'updatesSent', label: 'updates sent', get: F('updatesSent'), digits: 0 },
  { key: 'updateErrors', label: 'update errors', get: F('updateErrors'), digits: 0 },
  { key: 'p50', label: 'delivery p50 ms', get: L('p50'), digits: 2 },
  { key: 'p95', label: 'delivery p95 ms', get: L('p95'), digits: 2 },
  { key: 'p99', label: 'delivery p99 ms', get: L('p99'), digits: 2 },
  { key: 'max', label: 'delivery max ms', get: L('max'), digits: 2 },
  { key: 'putP99', label: 'PUT p99 ms', get: (r) => (r.putLatency.count > 0 ? r.putLatency.p99 : null), digits: 2 },
  { key: 'expected', label: 'deliveries owed', get: F('expected'), digits: 0 },
  { key: 'delivered', label: 'delivered', get: F('delivered'), digits: 0 },
  { key: 'coalesced', label: 'coalesced', get: F('coalesced'), digits: 0 },
  { key: 'missing', label: 'missing', get: F('missing'), digits: 0 },
  { key: 'deliveredPerSec', label: 'deliveries/s', get: F('deliveredPerSec'), digits: 0 },
  { key: 'syncPerSec', label: 'sync req/s', get: F('syncPerSec'), digits: 1 },
  { key: 'syncErrors', label: 'sync errors', get: F('syncErrors'), digits: 0 },
  { key: 'messagesSent', label: 'messages sent', get: F('messagesSent'), digits: 0 },
  { key: 'serverCpuPct', label: 'server CPU % of a core', get: F('serverCpuPct'), digits: 1 },
  { key: 'serverCpuMsPerDelivered', label: 'server CPU ms/delivered', get: F('serverCpuMsPerDelivered'), digits: 4 },
  { key: 'serverCpuMsPerUpdate', label: 'server CPU ms/update', get: F('serverCpuMsPerUpdate'), digits: 3 },
  { key: 'serverPeakRssMB', label: 'server peak RSS MB', get: F('serverPeakRssMB'), digits: 1 },
  { key: 'benchCpuPct', label: 'bench CPU % of a core', get: F('benchCpuPct'), digits: 1 },
  { key: 'durationS', label: 'measured s', get: F('durationS'), digits: 2 },
];

/** b / a, or null when either is missing or a is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || Number.isNaN(a) || Number.isNaN(b) || a === 0) return null;
  return b / a;
}

export function ratios(a: RunResult, b: RunResult): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const row of ROWS) out[row.key] = ratio(row.get(a), row.get(b));
  return out;
}
