/**
 * The benchmark tool at tiny size against a real in-process presenced: keeps every scenario
 * working. Not a benchmark: only sanity of the numbers is asserted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs, type BenchOptions } from '../../bench/lib/args.js';
import { runEngine } from '../../bench/lib/engineCases.js';
import type { ReportRun } from '../../bench/lib/report.js';
import { runBench, type BenchOutput } from '../../bench/lib/run.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let out: string;

// As bench/presenced-bench.yaml: back-to-back PUTs on a quiet machine outrun the test
// defaults' 1,000 a second, and a smoke run must not turn into a rate-limit test.
const UNLIMITED = { per_second: 100_000, burst: 100_000 };

before(async () => {
  srv = await startTestServer({ config: { rate_limits: { login: UNLIMITED, register: UNLIMITED, send: UNLIMITED, presence: UNLIMITED } } });
  out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
});
after(async () => {
  await srv?.close();
  rmSync(out, { recursive: true, force: true });
});

const quiet = () => undefined;

// Every run drains for up to 15 s: the drain ends as soon as every delivery is accounted for,
// and on a loaded CI machine (other test files run beside this one) late ones still arrive.
function opts(...args: string[]): BenchOptions {
  return parseBenchArgs([...args, '--out', out, '--quiet']) as BenchOptions;
}

/** What every run must satisfy, whatever the server: the accounting adds up, latencies are ordered. */
function assertSane(r: ReportRun, what: string): void {
  const f = r.figures;
  assert.ok(f.updatesSent > 0, `${what}: no updates sent`);
  assert.equal(f.updateErrors, 0, `${what}: update errors ${JSON.stringify(f.errorsByStatus)}`);
  assert.equal(f.syncErrors, 0, `${what}: sync errors ${JSON.stringify(f.errorsByStatus)}`);
  assert.ok(f.delivered > 0, `${what}: nothing delivered`);
  assert.equal(f.delivered + f.coalesced + f.missing, f.expected, `${what}: delivered + coalesced + missing = owed`);
  assert.equal(f.missing, 0, `${what}: ${f.missing} deliveries never arrived`);
  assert.ok(f.putPerSec > 0 && f.syncPerSec > 0);
  const l = r.latency;
  assert.equal(l.count, f.delivered, `${what}: one latency per first delivery`);
  assert.ok(l.min >= 0 && l.min <= l.p50 && l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.max, `${what}: ${JSON.stringify(l)}`);
  assert.ok(l.max < 30_000, `${what}: latency ${l.max} ms is not a delivery`);
  assert.equal(r.histogram.counts.reduce((a, b) => a + b, 0), f.delivered);
  assert.ok(f.benchCpuMs > 0);
}

function assertFiles(o: BenchOutput): void {
  const json = JSON.parse(readFileSync(o.jsonPath, 'utf8')) as { tool: string; commit: string };
  assert.equal(json.tool, 'presenced-bench');
  assert.ok(json.commit.length > 0);
  const html = readFileSync(o.htmlPath, 'utf8');
  assert.match(html, /<svg/);
  assert.match(o.table, /delivery p99 ms/);
}

/**
 * floor with --url: the floor side then the target, each sane and sampled, and the report's
 * ratios are target / floor, among them server CPU per delivered update and PUT/s.
 */
function assertFloorAndTarget(o: BenchOutput, what: string): void {
  const rep = o.report;
  assert.deepEqual(rep.runs.map((r) => r.name), ['floor', 'target'], `${what}: floor first, then the target`);
  assert.deepEqual(rep.rounds?.map((r) => [r.name, r.round]), [['floor', 1], ['target', 1]], `${what}: one round of each`);
  const [floor, tgt] = rep.runs;
  assert.equal(floor.target, 'floor');
  assert.equal(tgt.target, srv.url);
  for (const r of rep.runs) {
    assertSane(r, `${what} ${r.name}`);
    assert.ok(r.figures.serverCpuMs !== null && r.figures.serverCpuMs > 0, `${what} ${r.name}: server CPU sampled`);
    assert.ok(r.figures.serverCpuMsPerDelivered !== null && r.figures.serverCpuMsPerDelivered > 0, `${what} ${r.name}: CPU per delivered update`);
  }
  assert.equal(rep.ratioOf, 'target / floor');
  const ratios = rep.ratios;
  assert.ok(ratios, `${what}: no ratios in the report`);
  const expect = {
    serverCpuMsPerDelivered: tgt.figures.serverCpuMsPerDelivered! / floor.figures.serverCpuMsPerDelivered!,
    putPerSec: tgt.figures.putPerSec / floor.figures.putPerSec,
  };
  for (const [key, want] of Object.entries(expect)) {
    const got = ratios[key];
    assert.ok(typeof got === 'number' && Number.isFinite(got) && got > 0, `${what}: ratio ${key} = ${got}`);
    assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, want), `${what}: ratio ${key} ${got} is not target / floor ${want}`);
  }
  // The same ratios are in the JSON file, and the table has a target / floor column.
  const json = JSON.parse(readFileSync(o.jsonPath, 'utf8')) as { ratios?: Record<string, number | null>; ratioOf?: string };
  assert.equal(json.ratioOf, 'target / floor');
  assert.equal(json.ratios?.serverCpuMsPerDelivered, ratios.serverCpuMsPerDelivered);
  assert.equal(json.ratios?.putPerSec, ratios.putPerSec);
  assert.match(o.table, /target \/ floor/);
  assert.match(o.table, /server CPU ms\/delivered/);
}

describe('bench smoke', { timeout: 120_000 }, () => {
  test('fanout: 3 observers for 1 s, with the server process sampled', async () => {
    const o = await runBench(opts('--url', srv.url, 'fanout', '--observers', '3', '--duration', '1', '--drain', '15', '--pid', String(process.pid)), 'smoke', quiet);
    assert.equal(o.report.runs.length, 1);
    const r = o.report.runs[0];
    assertSane(r, 'fanout');
    assert.equal(r.figures.expected, r.figures.updatesSent * 3, 'every update is owed to every observer');
    assert.ok(r.figures.serverCpuMs !== null && r.figures.serverCpuMs > 0);
    assert.ok(r.figures.serverCpuMsPerDelivered !== null && r.figures.serverCpuMsPerDelivered > 0);
    assert.ok(r.figures.serverPeakRssMB !== null && r.figures.serverPeakRssMB > 10);
    assertFiles(o);
    assert.ok(existsSync(join(out, `accounts-127.0.0.1-${new URL(srv.url).port}.json`)), 'accounts stored for --reuse');
  });

  test('fanout paced with --rate and --reuse of the stored accounts', async () => {
    const o = await runBench(opts('--url', srv.url, 'fanout', '--observers', '3', '--duration', '1', '--rate', '20', '--drain', '15', '--reuse'), 'smoke', quiet);
    const r = o.report.runs[0];
    assertSane(r, 'paced fanout');
    assert.ok(r.figures.updatesSent >= 15 && r.figures.updatesSent <= 21, `paced at 20/s for 1 s: ${r.figures.updatesSent}`);
  });

  test('population: 10 users with churn and messages', async () => {
    const o = await runBench(opts('--url', srv.url, 'population', '--users', '10', '--duration', '1.5', '--churn', '120', '--msg-rate', '10', '--drain', '15'), 'smoke', quiet);
    const r = o.report.runs[0];
    assertSane(r, 'population');
    assert.ok(r.figures.messagesSent > 0);
    assert.equal(r.figures.messageErrors, 0);
    const mix = r.mix as { dm: { rooms: number }; large: { sizes: number[] } };
    assert.equal(mix.dm.rooms, 15);
    assert.deepEqual(mix.large.sizes, [10, 10, 10]);
    assertFiles(o);
  });

  test('floor: the trivial server in its own process, CPU sampled', async () => {
    const o = await runBench(opts('floor', '--observers', '3', '--duration', '1', '--drain', '15'), 'smoke', quiet);
    assert.equal(o.report.scenario, 'floor-fanout');
    const r = o.report.runs[0];
    assertSane(r, 'floor');
    assert.ok(r.figures.serverCpuMs !== null, 'the floor server pid is sampled');
    assertFiles(o);
  });

  test('floor with --url: target and floor alternately, target / floor ratios', async () => {
    const o = await runBench(opts('--url', srv.url, 'floor', '--observers', '2', '--duration', '0.5', '--drain', '15', '--rounds', '1', '--pid', String(process.pid)), 'smoke', quiet);
    assert.equal(o.report.scenario, 'floor-fanout');
    assertFloorAndTarget(o, 'floor fanout');
    for (const r of o.report.runs) assert.equal(r.figures.expected, r.figures.updatesSent * 2, `${r.name}: every update is owed to both observers`);
    assertFiles(o);
  });

  test('floor --scenario population with --url: 2 users on each side, ratios', async () => {
    // 2 s, not 0.5: the floor server spends about 2% of a core on 2 users, and /proc counts
    // CPU in 10 ms ticks, so half a second could read as no CPU at all.
    const o = await runBench(
      opts('--url', srv.url, 'floor', '--scenario', 'population', '--users', '2', '--duration', '2', '--churn', '600', '--msg-rate', '4', '--drain', '15', '--rounds', '1', '--pid', String(process.pid)),
      'smoke',
      quiet,
    );
    assert.equal(o.report.scenario, 'floor-population');
    assertFloorAndTarget(o, 'floor population');
    for (const r of o.report.runs) {
      const mix = r.mix as { users: number; dm: { rooms: number } };
      assert.equal(mix.users, 2, `${r.name}: the mix is drawn for 2 users`);
      assert.equal(mix.dm.rooms, 3);
      assert.equal(r.figures.messageErrors, 0, `${r.name}: message errors`);
    }
    assertFiles(o);
  });

  test('compare: A B on the same server gives ratios for every figure', async () => {
    const o = await runBench(opts('--url', srv.url, '--url-b', srv.url, 'compare', '--observers', '2', '--duration', '0.5', '--drain', '15', '--rounds', '1'), 'smoke', quiet);
    assert.equal(o.report.runs.length, 2);
    assert.equal(o.report.rounds?.length, 2);
    for (const r of o.report.runs) assertSane(r, `compare ${r.name}`);
    assert.ok(o.report.ratios && typeof o.report.ratios.putPerSec === 'number' && o.report.ratios.putPerSec > 0);
    assert.match(o.table, /B \/ A/);
  });

  test('fanout against a server that refuses some PUTs: refused updates are owed to nobody', async () => {
    // 20 PUTs at once, then 50 a second: back to back, most are answered 429.
    const limited = await startTestServer({ config: { rate_limits: { login: UNLIMITED, register: UNLIMITED, send: UNLIMITED, presence: { per_second: 50, burst: 20 } } } });
    try {
      const o = await runBench(opts('--url', limited.url, 'fanout', '--observers', '2', '--duration', '1', '--drain', '15'), 'smoke', quiet);
      const f = o.report.runs[0].figures;
      assert.ok(f.updateErrors > 0 && f.errorsByStatus.put_429 === f.updateErrors, `refusals: ${JSON.stringify(f.errorsByStatus)}`);
      assert.equal(f.expected, f.updatesSent * 2, 'only accepted updates are owed');
      // Skipping over a refused update is not coalescing it: the accounting still adds up.
      assert.equal(f.delivered + f.coalesced + f.missing, f.expected, `${JSON.stringify(f)}`);
      assert.equal(f.missing, 0);
    } finally {
      await limited.close();
    }
  });

  test('engine: every case runs at tiny size', async () => {
    const { cases, setup } = await runEngine({ users: 200, ops: 2000, seed: 1, maxMsPerCase: 5000 }, quiet);
    assert.deepEqual(cases.map((c) => c.name), ['step', 'viewFor', 'fanout', 'service.apply']);
    for (const c of cases) assert.ok(c.ops === 2000 && c.opsPerSec > 0, c.name);
    assert.ok(cases[2].extra.deliveries > 0, 'status changes reach co-members');
    assert.ok(cases[3].extra.wakeups > 0, 'the service wakes observers');
    assert.ok(setup.rooms > 0);
  });
});
