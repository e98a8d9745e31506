#!/usr/bin/env node
// Collects test files and hands them to node's own test runner (Node 20's --test has no globs).
// Usage: node scripts/run-tests.mjs [unit|integration|e2e|path...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const suites = args.length ? args : ['unit', 'integration'];
let files = [];
for (const s of suites) {
  if (s.endsWith('.ts')) files.push(s);
  else files = files.concat(collect(join('test', s)));
}
files.sort();
if (files.length === 0) {
  console.error('no test files found for', suites.join(' '));
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(res.status ?? 1);
