/**
 * Several `presenced serve` processes sharing one PostgreSQL schema and one Redis key
 * prefix, fresh per cluster, each with the adjustable test clock (PRESENCED_TEST_CLOCK=1)
 * so that tests move time forward instead of waiting.
 *
 * The suites run when PRESENCED_TEST_DATABASE_URL and PRESENCED_TEST_REDIS_URL are set.
 * Without them they are skipped, saying so; under CI=true they fail instead.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { scratch, serveProcess, type Serving } from './processes.js';
import { TestClient } from './client.js';

export const DB_URL = process.env.PRESENCED_TEST_DATABASE_URL;
export const REDIS_URL = process.env.PRESENCED_TEST_REDIS_URL;

/** describe() for a multi-instance suite: runs, skips with the reason, or fails under CI. */
export function clusterSuite(name: string, body: () => void): void {
  if (DB_URL && REDIS_URL) {
    describe(name, body);
    return;
  }
  const missing = [!DB_URL && 'PRESENCED_TEST_DATABASE_URL', !REDIS_URL && 'PRESENCED_TEST_REDIS_URL'].filter(Boolean).join(' and ');
  if (process.env.CI === 'true') {
    test(name, () => assert.fail(`CI=true but ${missing} is unset: the multi-instance suite must run in CI`));
  } else {
    test(name, { skip: `multi-instance suite: set ${missing} (PostgreSQL and Redis) to run it` }, () => {});
  }
}

export interface Instance extends Serving {
  name: string;
  client(): TestClient;
}

export interface ClusterOptions {
  instances: number;
  /** Overrides the database URL (a proxy in front of PostgreSQL). */
  dbUrl?: string;
  /** Overrides the Redis URL (a redis-server of the test's own). */
  redisUrl?: string;
  /** Raw config merged over the cluster defaults. */
  config?: Record<string, unknown>;
}

const GENEROUS = { per_second: 1000, burst: 1000 };
/** advance() moves every clock in steps this long, well under the 10 s after which a silent instance counts as dead. */
const CLOCK_STEP_MS = 3_000;

export class Cluster {
  readonly instances: Instance[] = [];
  private configFile = '';

  private constructor(
    readonly schema: string,
    readonly prefix: string,
    private readonly opts: ClusterOptions,
    private readonly children: Set<import('node:child_process').ChildProcess>,
    private readonly dataDir: string,
  ) {}

  static async start(opts: ClusterOptions, files: ReturnType<typeof scratch>): Promise<Cluster> {
    const id = `${process.pid}_${randomBytes(3).toString('hex')}`;
    const c = new Cluster(`cluster_${id}`, `ptest:${id}`, opts, files.children, files.tempDir());
    c.configFile = join(c.dataDir, 'presenced.yaml');
    writeFileSync(c.configFile, JSON.stringify({
      server_name: 'cluster.test',
      data_dir: c.dataDir,
      log_level: 'info',
      registration: true,
      database: { type: 'postgres', url: opts.dbUrl ?? DB_URL, schema: c.schema },
      redis: { url: opts.redisUrl ?? REDIS_URL, prefix: c.prefix },
      rate_limits: { login: GENEROUS, register: GENEROUS, send: GENEROUS, presence: GENEROUS },
      ...opts.config,
    }));
    // The first creates the schema and the signing key; the rest start together.
    await c.spawn('i0');
    await Promise.all(Array.from({ length: opts.instances - 1 }, (_, i) => c.spawn(`i${i + 1}`)));
    return c;
  }

  /** Starts one more instance (or a replacement for a killed one) on the same schema. */
  async spawn(name: string): Promise<Instance> {
    const s = await serveProcess(this.children, ['--config', this.configFile, '--bind', '127.0.0.1', '--port', '0'], {
      env: { PRESENCED_TEST_CLOCK: '1', INSTANCE: name },
    });
    const inst: Instance = { ...s, name, client: () => new TestClient(s.url) };
    const idx = Number(name.slice(1));
    this.instances[idx] = inst;
    return inst;
  }

  at(i: number): Instance {
    return this.instances[i];
  }

  /** The same session (access token) used on instance i. */
  as(i: number, from: TestClient): TestClient {
    const cl = this.at(i).client();
    Object.assign(cl, { userId: from.userId, deviceId: from.deviceId, accessToken: from.accessToken });
    return cl;
  }

  alive(): Instance[] {
    return this.instances.filter((i) => i && i.proc.exitCode === null && i.proc.signalCode === null);
  }

  /** Moves every live instance's clock forward by ms, in steps, letting background duties run between. */
  async advance(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= CLOCK_STEP_MS) {
      const step = Math.min(left, CLOCK_STEP_MS);
      await Promise.all(this.alive().map(async (i) => {
        const res = await fetch(`${i.url}/_presenced/test/clock`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance_ms: step }),
        });
        assert.equal(res.status, 200, `${i.name}: clock advance ${res.status}`);
      }));
      // Each instance polls its timers every 250 ms of real time.
      await sleep(400);
    }
  }

  async kill(i: number): Promise<void> {
    const inst = this.instances[i];
    inst.proc.kill('SIGKILL');
    await inst.exited;
  }

  async stop(): Promise<void> {
    await Promise.all(this.alive().map(async (i) => {
      i.proc.kill('SIGTERM');
      await i.exited;
    }));
    await dropCluster(DB_URL!, this.schema, REDIS_URL!, this.prefix);
  }
}

/** Drops a cluster's schema and its Redis keys. */
export async function dropCluster(dbUrl: string, schema: string, redisUrl: string, prefix: string): Promise<void> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const keys = await r.keys(`${prefix}:*`);
    if (keys.length) await r.del(...keys);
  } catch {
    // The test's own Redis may be gone already.
  } finally {
    r.disconnect();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls fn until it returns a value other than undefined, or fails after ms. */
export async function eventually<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}
