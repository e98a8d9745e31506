/**
 * Issue 7 item 3, the graceful stop: a parked /sync long-poll is answered at once (200, an
 * empty incremental answer with a valid next_batch), new connections are refused, presence
 * is flushed, and `presenced serve` exits 0 within 5 s of SIGTERM; presence set before the
 * stop is there after a restart. In process (Server.close) and as a child process.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, ROOT, scratch, within } from '../helpers/processes.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { TestClient } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';
import { assertOk, uniqueName } from '../helpers/integration.js';
import { parked, putStatusOk, statusPath, syncNow } from './presence-helpers.js';

/** Bound on serve becoming ready (tsx compiles on start). */
const START_MS = 30_000;
/** The bound on a stop. */
const STOP_MS = 5_000;

const { children, tempDir } = scratch('presenced-stop-');

/** Asserts the shape of an answer a drained long-poll must give. */
function assertEmptyIncremental(body: any): void {
  assert.equal(typeof body.next_batch, 'string');
  assert.ok(body.next_batch.length > 0);
  assert.deepEqual(body.rooms.join, {});
  assert.deepEqual(body.presence.events, []);
}

describe('Server.close (in process)', () => {
  test('answers a parked long-poll at once instead of waiting out its timeout', async () => {
    const srv = await startTestServer();
    let closed = false;
    try {
      const c = await new TestClient(srv.url).register(uniqueName('stop'));
      const since = (await syncNow(c)).next_batch as string;
      const started = Date.now();
      const poll = c.sync({ since, timeout: 60_000 });
      await parked(srv, c.userId);
      await within(srv.close(), STOP_MS, 'close');
      closed = true;
      const res = await within(poll, STOP_MS, 'long-poll answer');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assertEmptyIncremental(res.body);
      assert.ok(Date.now() - started < STOP_MS, `answered after ${Date.now() - started} ms`);
    } finally {
      if (!closed) await srv.close();
    }
  });
});

interface Serving {
  proc: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `presenced serve` as a child process, resolved once it logs `presenced listening`. */
async function serve(dataDir: string): Promise<Serving> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PRESENCED_')) env[k] = v;
  const args = ['serve', '--bind', '127.0.0.1', '--port', '0', '--server-name', 'stop.test', '--data-dir', dataDir];
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ code, signal }));
  });
  const listening = new Promise<string>((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /"address":"(http:[^"]+)","serverName":"stop\.test","msg":"presenced listening"/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then((e) => reject(new Error(`serve exited (${e.code ?? e.signal}) before listening: ${err}`)));
  });
  const url = await within(listening, START_MS, 'serve listening');
  return { proc, url, stdout: () => out, stderr: () => err, exited };
}

/** One request on a fresh connection (no pooled keep-alive socket): its status, or the connection error's code. */
function freshRequest(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(`${url}/_matrix/client/versions`, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

describe('presenced serve and SIGTERM', () => {
  test('a parked long-poll gets 200 with next_batch, the process exits 0 within 5 s, presence survives', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await serve(dataDir);
    const c = await new TestClient(first.url).register(uniqueName('term'));
    await putStatusOk(c, 'online', 'back after the restart');
    const since = (await syncNow(c)).next_batch as string;

    let settled = false;
    const poll = c.sync({ since, timeout: 60_000 }).finally(() => (settled = true));
    // No way to look inside the child: give the request time to arrive and park.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(settled, false, 'the long-poll is parked before the signal');

    const signalled = Date.now();
    first.proc.kill('SIGTERM');
    const res = await within(poll, STOP_MS, 'long-poll answer after SIGTERM');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertEmptyIncremental(res.body);
    const refused = await freshRequest(first.url);
    assert.ok(refused !== 200, `a new connection after SIGTERM must not be served, got ${refused}`);
    const exit = await within(first.exited, STOP_MS, 'exit after SIGTERM');
    const took = Date.now() - signalled;
    assert.deepEqual(exit, { code: 0, signal: null }, first.stderr());
    assert.ok(took < STOP_MS, `exited ${took} ms after SIGTERM`);
    assert.match(first.stdout(), /"msg":"stopping"/);

    const second = await serve(dataDir);
    try {
      const again = new TestClient(second.url);
      again.userId = c.userId;
      again.accessToken = c.accessToken;
      const status = assertOk(await again.get(statusPath(c.userId)), 'GET own presence after restart');
      assert.equal(status.status_msg, 'back after the restart');
      // The drained answer's token is a valid token for the restarted server.
      assertOk(await again.sync({ since: res.body.next_batch, timeout: 0 }), 'sync from the drained next_batch');
    } finally {
      second.proc.kill('SIGTERM');
      assert.equal((await within(second.exited, STOP_MS, 'second exit')).code, 0, second.stderr());
    }
  });
});
