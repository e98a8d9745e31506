/**
 * Issue 7 items 1 and 2: /metrics in Prometheus text format (on the main listener, on a
 * separate one, or off), its numbers moving as presence is driven over the HTTP API, the
 * metrics config section's validation, and request ids on the log lines of a request.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ManualClock } from '../../src/common/clock.js';
import { buildConfig, ConfigError } from '../../src/config/index.js';
import { createServer } from '../../src/main.js';
import { TestClient } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';
import { assertOk, sharedRoom, uniqueName, useServer, V3 } from '../helpers/integration.js';
import { longPoll, putStatusOk, syncNow } from './presence-helpers.js';

type Labels = Record<string, string>;

/** The value of one sample of a scrape; 0 when the series is absent (a counter never bumped). */
function sample(text: string, name: string, labels: Labels = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) got[k] = v;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('/metrics on the main listener', () => {
  const clock = new ManualClock();
  const ctx = useServer({ clock });
  const PUT_STATUS = { route: `${V3}/presence/:userId/status`, method: 'PUT', status: '200' };
  const SYNC_ROUTE = `${V3}/sync`;

  test('presence driven over HTTP moves the presence, sync and HTTP numbers', async () => {
    const alice = await ctx.user('ma');
    const bob = await ctx.user('mb');
    await sharedRoom(alice, [bob]);
    // The setup's activity settles: both connections time out and they are offline.
    clock.advance(31_000);
    const since = (await syncNow(bob, { set_presence: 'offline' })).next_batch as string;
    const before = await scrape(ctx.url);

    // Bob's long-poll is parked when Alice comes online: the update wakes it and it carries her.
    const poll = await longPoll(ctx.server, bob, since, 30_000, { set_presence: 'offline' });
    await putStatusOk(alice, 'online', 'here');
    const woken = assertOk(await poll.result, 'long-poll');
    assert.ok((woken.presence.events as any[]).some((e) => e.sender === alice.userId), JSON.stringify(woken.presence));
    await putStatusOk(alice, 'unavailable');
    await syncNow(alice);
    const mid = await scrape(ctx.url);

    const d = (name: string, labels: Labels = {}) => sample(mid, name, labels) - sample(before, name, labels);
    assert.equal(d('presenced_presence_transitions_total', { from: 'offline', to: 'online' }), 1);
    assert.equal(d('presenced_presence_transitions_total', { from: 'online', to: 'unavailable' }), 1);
    assert.ok(d('presenced_presence_transitions_total', { from: 'unavailable', to: 'online' }) >= 1, 'the sync made her online again');
    assert.ok(d('presenced_presence_updates_total') >= 3, mid);
    // Every update about Alice wakes both of them (she and Bob share the room).
    assert.equal(d('presenced_presence_fanout_deliveries_total'), 2 * d('presenced_presence_updates_total'), mid);
    assert.equal(d('presenced_http_requests_total', PUT_STATUS), 2);
    assert.ok(d('presenced_http_requests_total', { route: SYNC_ROUTE, method: 'GET', status: '200' }) >= 2);
    assert.ok(d('presenced_sync_request_duration_seconds_count') >= 2);
    assert.ok(d('presenced_sync_build_duration_seconds_count') >= 2);
    assert.ok(d('presenced_presence_delivery_latency_seconds_count') >= 1, 'the long-poll answer delivered her update');
    assert.ok(sample(mid, 'presenced_presence_users', { state: 'online' }) >= 1);
    assert.ok(sample(mid, 'presenced_presence_devices_online') >= 1);
    assert.ok(sample(mid, 'presenced_sync_request_duration_seconds_bucket', { le: '+Inf' }) >= 2);

    // Her connection times out: a presence timer fires and she goes offline.
    clock.advance(31_000);
    const late = await scrape(ctx.url);
    assert.ok(sample(late, 'presenced_presence_timer_firings_total') > sample(mid, 'presenced_presence_timer_firings_total'));
    assert.equal(sample(late, 'presenced_presence_transitions_total', { from: 'online', to: 'offline' }) - sample(mid, 'presenced_presence_transitions_total', { from: 'online', to: 'offline' }), 1);
    assert.equal(sample(late, 'presenced_presence_devices_online'), 0);
  });

  test('a user whose state changes more than 6 times within 10 minutes counts as flapping', async () => {
    const carol = await ctx.user('mc');
    assert.equal(sample(await scrape(ctx.url), 'presenced_presence_flapping_users'), 0);
    for (let i = 0; i < 7; i++) await putStatusOk(carol, i % 2 === 0 ? 'online' : 'unavailable');
    assert.equal(sample(await scrape(ctx.url), 'presenced_presence_flapping_users'), 1);
    clock.advance(10 * 60_000);
    assert.equal(sample(await scrape(ctx.url), 'presenced_presence_flapping_users'), 0, 'the window closed');
  });

  test('requests are counted by route pattern and status; unmatched ones under "unmatched"', async () => {
    const c = await ctx.user('md');
    const stranger = await ctx.user('me');
    const before = await scrape(ctx.url);
    assert.equal((await c.get(`${V3}/presence/${encodeURIComponent(stranger.userId)}/status`)).status, 403);
    assert.equal((await c.get('/no/such/path')).status, 404);
    const now = await scrape(ctx.url);
    const d = (labels: Labels) => sample(now, 'presenced_http_requests_total', labels) - sample(before, 'presenced_http_requests_total', labels);
    assert.equal(d({ route: `${V3}/presence/:userId/status`, method: 'GET', status: '403' }), 1);
    assert.equal(d({ route: 'unmatched', method: 'GET', status: '404' }), 1);
    assert.match(now, /^# TYPE presenced_http_requests_total counter$/m);
    assert.match(now, /^# TYPE presenced_sync_request_duration_seconds histogram$/m);
  });
});

describe('/metrics placement', () => {
  test('metrics.port: a separate listener serves /metrics; the main one does not', async () => {
    const srv = await startTestServer({ config: { metrics: { port: 0 } } });
    try {
      const addr = srv.server.metricsAddress();
      assert.ok(addr, 'separate listener bound');
      assert.notEqual(addr, srv.url);
      assert.match(await scrape(addr), /^# TYPE presenced_presence_users gauge$/m);
      assert.equal((await fetch(`${srv.url}/metrics`)).status, 404);
      assert.equal((await fetch(`${addr}/other`)).status, 404);
    } finally {
      await srv.close();
    }
  });

  test('metrics.enabled false: no /metrics anywhere', async () => {
    const srv = await startTestServer({ config: { metrics: { enabled: false } } });
    try {
      assert.equal(srv.server.metrics, null);
      assert.equal(srv.server.metricsAddress(), null);
      assert.equal((await fetch(`${srv.url}/metrics`)).status, 404);
    } finally {
      await srv.close();
    }
  });

  test('the metrics section rejects unknown keys and a bind without a port', () => {
    assert.throws(() => buildConfig({ metrics: { enabeld: true } }), (e: unknown) => e instanceof ConfigError && /^metrics\.enabeld: unknown key$/.test(e.message));
    assert.throws(() => buildConfig({ metrics: { bind: '0.0.0.0' } }), (e: unknown) => e instanceof ConfigError && /^metrics\.bind: needs metrics\.port/.test(e.message));
    assert.throws(() => buildConfig({ metrics: { port: 'x' } }), (e: unknown) => e instanceof ConfigError && /^metrics\.port: /.test(e.message));
    assert.deepEqual(buildConfig({}).metrics, { enabled: true, bind: null, port: null });
    assert.deepEqual(buildConfig({ metrics: { port: 9100 } }).metrics, { enabled: true, bind: '127.0.0.1', port: 9100 });
  });
});

describe('request logs', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A server whose log lines are collected, parsed, instead of written to stdout. */
  async function loggingServer(level: string) {
    const dataDir = mkdtempSync(join(tmpdir(), 'presenced-log-'));
    dirs.push(dataDir);
    const lines: any[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        cb();
      },
    });
    const config = buildConfig({ server_name: 'localhost', bind: '127.0.0.1', port: 0, data_dir: dataDir, log_level: level, database: { type: 'sqlite', synchronous: 'normal' } });
    const server = await createServer(config, { logStream: stream });
    const url = await server.listen();
    return { server, url, lines };
  }

  test('every line logged while handling a request carries that request\'s reqId; the level comes from log_level', async () => {
    const s = await loggingServer('debug');
    try {
      const c = await new TestClient(s.url).register(uniqueName('log'));
      assertOk(await c.get('/_matrix/client/versions'));
      assertOk(await c.get(`${V3}/account/whoami`));
      const done = s.lines.filter((l) => l.msg === 'request completed');
      assert.ok(done.length >= 3, JSON.stringify(s.lines));
      for (const l of done) assert.match(String(l.reqId), /\S/, JSON.stringify(l));
      assert.equal(new Set(done.map((l) => l.reqId)).size, done.length, 'one id per request');
      const whoami = done.find((l) => l.route === `${V3}/account/whoami`);
      assert.equal(whoami?.statusCode, 200);
      assert.equal(whoami?.level, 20);
      // Lines outside any request (start-up) carry none.
      assert.equal(s.lines.find((l) => /listening/.test(l.msg))?.reqId, undefined);
    } finally {
      await s.server.close();
    }
    const quiet = await loggingServer('info');
    try {
      assertOk(await new TestClient(quiet.url).get('/_matrix/client/versions'));
      assert.equal(quiet.lines.filter((l) => l.msg === 'request completed').length, 0, 'debug lines are off at info');
      assert.ok(quiet.lines.every((l) => l.level >= 30));
    } finally {
      await quiet.server.close();
    }
  });
});
