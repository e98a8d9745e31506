/** The three outputs of a run: a table on stdout, a JSON file and an HTML report in the out directory. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from './args.js';
import { renderHtml } from './html.js';
import type { Figures, RunResult } from './measure.js';
import { ROWS, ratios } from './results.js';
import { cdfPoints, logHistogram, type Histogram, type Summary } from './stats.js';

export interface Side {
  /** Column name: A, B, floor, or the URL. */
  name: string;
  result: RunResult;
}

export interface ReportRun {
  name: string;
  target: string;
  startedAt: string;
  figures: Figures;
  latency: Summary;
  putLatency: Summary;
  histogram: Histogram;
  cdf: [number, number][];
  notes: string[];
  mix?: unknown;
}

export interface ReportJson {
  tool: 'presenced-bench';
  schema: 1;
  scenario: string;
  label?: string;
  date: string;
  commit: string;
  command: string;
  /** loadavg: 1, 5 and 15 minute load before the run started; other work on the machine skews every figure. */
  host: { node: string; platform: string; cpus: number; cpuModel: string; loadavg: number[] };
  options: Partial<BenchOptions>;
  runs: ReportRun[];
  /** compare/floor: each round on its own, in the order run. */
  rounds?: { name: string; round: number; figures: Figures; latency: Summary }[];
  /** Second run's figure divided by the first's, for each figure. */
  ratios?: Record<string, number | null>;
  ratioOf?: string;
}

export function gitCommit(): string {
  try {
    const c = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${c}+dirty` : c;
  } catch {
    return 'unknown';
  }
}

function toRun(s: Side): ReportRun {
  const r = s.result;
  return {
    name: s.name,
    target: r.target,
    startedAt: r.startedAt,
    figures: r.figures,
    latency: r.latency,
    putLatency: r.putLatency,
    histogram: logHistogram(r.samples),
    cdf: cdfPoints(r.samples),
    notes: r.notes,
    mix: r.mix,
  };
}

export function buildReport(scenario: string, o: BenchOptions, command: string, sides: Side[], rounds?: Side[], loadAtStart: number[] = loadavg()): ReportJson {
  const cpu = cpus();
  const options = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<BenchOptions>;
  const rep: ReportJson = {
    tool: 'presenced-bench',
    schema: 1,
    scenario,
    label: o.label,
    date: new Date().toISOString(),
    commit: gitCommit(),
    command,
    host: { node: process.version, platform: platform(), cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', loadavg: loadAtStart.map((x) => Math.round(x * 100) / 100) },
    options,
    runs: sides.map(toRun),
  };
  if (rounds) rep.rounds = rounds.map((s, i) => ({ name: s.name, round: Math.floor(i / 2) + 1, figures: s.result.figures, latency: s.result.latency }));
  if (sides.length === 2) {
    rep.ratios = ratios(sides[0].result, sides[1].result);
    rep.ratioOf = `${sides[1].name} / ${sides[0].name}`;
  }
  return rep;
}

function fmt(v: number | null, digits: number): string {
  if (v === null || Number.isNaN(v)) return '-';
  return v.toFixed(digits);
}

/** Header plus one row per figure; a ratio column when there are two sides. */
export function tableRows(rep: ReportJson, sides: Side[]): string[][] {
  const head = ['figure', ...sides.map((s) => s.name)];
  if (rep.ratios) head.push(rep.ratioOf ?? 'ratio');
  const rows = [head];
  for (const row of ROWS) {
    const line = [row.label, ...sides.map((s) => fmt(row.get(s.result), row.digits))];
    if (rep.ratios) line.push(fmt(rep.ratios[row.key] ?? null, 3));
    rows.push(line);
  }
  return rows;
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function writeReport(outDir: string, rep: ReportJson, sides: Side[]): { jsonPath: string; htmlPath: string; table: string } {
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, `${rep.scenario}-${stamp(new Date(rep.date))}-${Math.random().toString(36).slice(2, 6)}`);
  const rows = tableRows(rep, sides);
  const jsonPath = `${base}.json`;
  const htmlPath = `${base}.html`;
  writeFileSync(jsonPath, `${JSON.stringify(rep, null, 2)}\n`);
  const html = renderHtml({
    title: `presenced bench: ${rep.scenario}${rep.label ? ` (${rep.label})` : ''}`,
    meta: [
      ['date', rep.date],
      ['commit', rep.commit],
      ['command', rep.command],
      ['host', `${rep.host.cpuModel}, ${rep.host.cpus} CPUs, node ${rep.host.node}, load ${rep.host.loadavg.join(' ')}`],
      ...rep.runs.map((r): [string, string] => [`target ${r.name}`, r.target]),
    ],
    table: rows,
    series: rep.runs.map((r) => ({ name: r.name, histogram: r.histogram, cdf: r.cdf })),
    notes: rep.runs.flatMap((r) => r.notes.map((n) => `${r.name}: ${n}`)),
    mix: rep.runs.find((r) => r.mix !== undefined)?.mix,
  });
  writeFileSync(htmlPath, html);
  return { jsonPath, htmlPath, table: formatTable(rows) };
}
