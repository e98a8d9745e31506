/** Command line of `npm run bench`: parsing, bounds, and the loopback-only rule. */
import { isIPv4 } from 'node:net';
import { parseArgs } from 'node:util';

export const SCENARIOS = ['fanout', 'population', 'floor', 'compare'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** What `compare` and `floor` can run on each side. */
export type InnerScenario = 'fanout' | 'population';

export interface BenchOptions {
  scenario: ScenarioName;
  url?: string;
  urlB?: string;
  pid?: number;
  pidB?: number;
  /** Seconds of measured load. */
  duration: number;
  /** Upper bound on presence updates sent. */
  count: number;
  /** Seconds to wait for late deliveries after the last update. */
  drain: number;
  observers: number;
  /** PUT/s; 0 = back to back (one PUT after another). */
  rate: number;
  users: number;
  /** Presence changes per user per minute (population). */
  churn: number;
  /** Room messages per second over the whole population. */
  msgRate: number;
  seed: number;
  reuse: boolean;
  /** Setup requests (register, createRoom, join) in flight at once. */
  concurrency: number;
  /** Long-polling users per child process. */
  perChild: number;
  syncTimeoutMs: number;
  /** compare / floor: which scenario each side runs. */
  inner: InnerScenario;
  rounds: number;
  outDir: string;
  label?: string;
  /** Hard limit on the whole run, setup included, in seconds. */
  maxTotal: number;
  quiet: boolean;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench -- --url URL SCENARIO [options]

Scenarios:
  fanout       1 writer PUTs presence, N observers long-poll /sync in the same room
  population   U users long-polling /sync in a room mix, with presence churn and messages
  floor        fanout (or --scenario population) against a trivial Node server the bench starts;
               with --url, also against URL, printing URL/floor ratios
  compare      one scenario against --url and --url-b, rounds A B A B, printing B/A ratios

Options:
  --url URL            target homeserver (loopback only: 127.0.0.0/8, localhost, ::1)
  --url-b URL          second target for compare
  --pid PID            server process to sample CPU and RSS from (/proc); --pid-b for compare
  --duration S         measured seconds (default 10, max 600)
  --count N            most presence updates to send (default 100000)
  --drain S            seconds to wait for late deliveries (default 5)
  --observers N        fanout observers (default 50, max 20000)
  --rate R             fanout PUT/s, paced; 0 = back to back (default 0)
  --users U            population users (default 2000, max 50000)
  --churn C            presence changes per user per minute (default 0.2 = one per 5 min)
  --msg-rate M         messages per second, whole population (default 10)
  --seed N             room mix seed (default 1)
  --reuse              reuse accounts and rooms stored in bench/out/ by an earlier run
  --concurrency N      setup requests in flight (default 32)
  --per-child N        long-polling users per child process (default 1000)
  --sync-timeout MS    /sync long-poll timeout (default 30000)
  --scenario NAME      inner scenario of compare/floor: fanout or population (default fanout)
  --rounds N           compare rounds (default 2: A B A B)
  --out DIR            where reports go (default bench/out)
  --label TEXT         free text stored in the report
  --max-total S        hard limit on the whole run, setup included (default 1800)
  --quiet              no progress lines on stderr
`;

const SPEC = {
  url: { type: 'string' },
  'url-b': { type: 'string' },
  pid: { type: 'string' },
  'pid-b': { type: 'string' },
  duration: { type: 'string' },
  count: { type: 'string' },
  drain: { type: 'string' },
  observers: { type: 'string' },
  rate: { type: 'string' },
  users: { type: 'string' },
  churn: { type: 'string' },
  'msg-rate': { type: 'string' },
  seed: { type: 'string' },
  reuse: { type: 'boolean' },
  concurrency: { type: 'string' },
  'per-child': { type: 'string' },
  'sync-timeout': { type: 'string' },
  scenario: { type: 'string' },
  rounds: { type: 'string' },
  out: { type: 'string' },
  label: { type: 'string' },
  'max-total': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function num(name: string, raw: string | undefined, dflt: number, min: number, max: number, integer = true): number {
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got ${raw}`);
  if (v < min || v > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${raw}`);
  return v;
}

/** True for 127.0.0.0/8, ::1 and localhost: the bench never loads someone else's server. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped !== null && mapped[1].startsWith('127.');
}

/** Parses and checks a target URL; throws UsageError when it is not an http(s) loopback URL. */
export function checkTargetUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`not a URL: ${raw}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`only http(s) URLs: ${raw}`);
  if (!isLoopbackHost(u.hostname)) throw new UsageError(`refusing non-loopback target ${u.hostname}: the bench only loads servers on this machine`);
  return u.origin;
}

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values: v, positionals } = parseArgs({ args: argv, options: SPEC, allowPositionals: true, strict: true });
  if (v.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing SCENARIO' : `one SCENARIO expected, got ${positionals.join(' ')}`);
  const scenario = positionals[0] as ScenarioName;
  if (!SCENARIOS.includes(scenario)) throw new UsageError(`unknown scenario ${positionals[0]} (${SCENARIOS.join(', ')})`);
  const inner = (v.scenario ?? 'fanout') as InnerScenario;
  if (inner !== 'fanout' && inner !== 'population') throw new UsageError(`--scenario must be fanout or population`);
  const url = v.url === undefined ? undefined : checkTargetUrl(v.url);
  const urlB = v['url-b'] === undefined ? undefined : checkTargetUrl(v['url-b']);
  if (scenario !== 'floor' && url === undefined) throw new UsageError(`${scenario} needs --url`);
  if (scenario === 'compare' && urlB === undefined) throw new UsageError('compare needs --url-b');
  const maxPid = 4_194_304;
  return {
    scenario,
    url,
    urlB,
    pid: v.pid === undefined ? undefined : num('pid', v.pid, 0, 1, maxPid),
    pidB: v['pid-b'] === undefined ? undefined : num('pid-b', v['pid-b'], 0, 1, maxPid),
    duration: num('duration', v.duration, 10, 0.2, 600, false),
    count: num('count', v.count, 100_000, 1, 10_000_000),
    drain: num('drain', v.drain, 5, 0, 120, false),
    observers: num('observers', v.observers, 50, 1, 20_000),
    rate: num('rate', v.rate, 0, 0, 100_000, false),
    users: num('users', v.users, 2000, 2, 50_000),
    churn: num('churn', v.churn, 0.2, 0, 600, false),
    msgRate: num('msg-rate', v['msg-rate'], 10, 0, 100_000, false),
    seed: num('seed', v.seed, 1, 0, 2 ** 31),
    reuse: v.reuse === true,
    concurrency: num('concurrency', v.concurrency, 32, 1, 1024),
    perChild: num('per-child', v['per-child'], 1000, 1, 15_000),
    syncTimeoutMs: num('sync-timeout', v['sync-timeout'], 30_000, 100, 300_000),
    inner,
    rounds: num('rounds', v.rounds, 2, 1, 10),
    outDir: v.out ?? 'bench/out',
    label: v.label,
    maxTotal: num('max-total', v['max-total'], 1800, 1, 86_400, false),
    quiet: v.quiet === true,
  };
}
