/**
 * `npm run bench:engine -- [--users 100000] [--ops 1000000] [--seed 1] [--max-seconds 30] [--out DIR]`:
 * the presence engine with no HTTP. Prints a table, writes bench/out/engine-*.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runEngine, type CaseResult } from './lib/engineCases.js';
import { formatTable, gitCommit } from './lib/report.js';

// A collector to call before reading the heap, so figures are live data, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function int(name: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name} must be an integer in [${min}, ${max}]`);
  return v;
}

function extraText(c: CaseResult): string {
  return Object.entries(c.extra)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(1)}`)
    .join(' ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { users: { type: 'string' }, ops: { type: 'string' }, seed: { type: 'string' }, 'max-seconds': { type: 'string' }, out: { type: 'string' } },
  });
  const o = {
    users: int('users', values.users, 100_000, 2, 2_000_000),
    ops: int('ops', values.ops, 1_000_000, 1, 100_000_000),
    seed: int('seed', values.seed, 1, 0, 2 ** 31),
    maxMsPerCase: int('max-seconds', values['max-seconds'], 30, 1, 600) * 1000,
    gc,
  };
  gc();
  const { cases, setup } = await runEngine(o, (m) => process.stderr.write(`[engine] ${m}\n`));
  gc();
  const heapAfterMB = process.memoryUsage().heapUsed / 2 ** 20;
  const rows = [
    ['case', 'ops', 'seconds', 'ops/s', 'heap MB', 'extra'],
    ...cases.map((c) => [c.name, String(c.ops), c.seconds.toFixed(2), c.opsPerSec.toFixed(0), c.heapUsedMB.toFixed(0), extraText(c)]),
  ];
  process.stdout.write(`${formatTable(rows)}\n`);
  process.stdout.write(`users ${setup.users}, rooms ${setup.rooms}, states ${setup.statesHeapMB.toFixed(1)} MB, index ${setup.indexHeapMB.toFixed(1)} MB, live heap after ${heapAfterMB.toFixed(1)} MB\n`);
  const outDir = values.out ?? 'bench/out';
  mkdirSync(outDir, { recursive: true });
  const date = new Date();
  const path = join(outDir, `engine-${date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}.json`);
  const report = {
    tool: 'presenced-bench',
    schema: 1,
    scenario: 'engine',
    date: date.toISOString(),
    commit: gitCommit(),
    command: `npm run bench:engine -- ${process.argv.slice(2).join(' ')}`.trim(),
    host: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
    options: { ...o, gc: undefined },
    setup: { ...setup, heapAfterMB },
    cases,
  };
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`json: ${path}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench:engine: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
