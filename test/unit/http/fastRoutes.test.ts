/** FastRoutes in front of the Fastify app: what they take, what they decline, how they answer. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { buildApp, FastRoutes, type App } from '../../../src/http/index.js';
import { MatrixError } from '../../../src/common/errors.js';

const done: { route: string | undefined; method: string; status: number }[] = [];
const logged: string[] = [];

describe('fast routes', () => {
  const fast = new FastRoutes();
  let app: App;
  let url: string;

  before(async () => {
    fast.add('/fast/ok', (_req, _res, query, reply) => {
      if (query.includes('decline')) return false;
      // Answered later, as a long-poll is.
      setImmediate(() => reply.json(200, JSON.stringify({ query }), { 'cache-control': 'no-store' }));
      return true;
    }, '/fast/ok-route');
    fast.add('/fast/fails', (_req, _res, query, reply) => {
      reply.error(query === 'busy' ? new MatrixError(503, 'M_UNKNOWN', 'busy', { retry_after_ms: 1000 }) : new Error('boom'));
      return true;
    });
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => logged.push(c.toString()));
    app = await buildApp({
      maxBodyBytes: 1024,
      logLevel: 'warn',
      logStream: stream,
      fast,
      requests: { requestDone: (route, method, status) => done.push({ route, method, status }) },
      clientRoutes: [],
      rootRoutes: [async (a) => {
        a.get('/fast/ok', async () => ({ from: 'fastify' }));
      }],
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
  });

  test('a taken request is answered by its handler with the app headers, and counted', async () => {
    const before = fast.taken;
    done.length = 0;
    const res = await fetch(`${url}/fast/ok?a=1`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { query: 'a=1' });
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(fast.taken, before + 1);
    assert.deepEqual(done, [{ route: '/fast/ok-route', method: 'GET', status: 200 }]);
  });

  test('a declined request, another method or another path goes to Fastify', async () => {
    const before = fast.taken;
    assert.deepEqual(await (await fetch(`${url}/fast/ok?decline`)).json(), { from: 'fastify' });
    assert.equal((await fetch(`${url}/fast/ok`, { method: 'POST', body: '{}' })).status, 405);
    const head = await fetch(`${url}/fast/ok`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal((await fetch(`${url}/fast/ok/more`)).status, 404);
    assert.equal(fast.taken, before);
  });

  test('errors are Matrix JSON; a 500 is logged with a request id, a 503 keeps its retry hint', async () => {
    const res = await fetch(`${url}/fast/fails`);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { errcode: 'M_UNKNOWN', error: 'Internal server error' });
    const line = logged.map((l) => JSON.parse(l) as { msg: string; reqId?: string }).find((l) => l.msg === 'unhandled error');
    assert.ok(line?.reqId, 'the error line carries a reqId');
    const busy = await fetch(`${url}/fast/fails?busy`);
    assert.equal(busy.status, 503);
    assert.deepEqual(await busy.json(), { errcode: 'M_UNKNOWN', error: 'busy', retry_after_ms: 1000 });
  });

  test('once the app stops, nothing is taken', () => {
    const f = new FastRoutes();
    let calls = 0;
    f.add('/x', () => ++calls > 0);
    const req = { method: 'GET', url: '/x' } as never;
    assert.equal(f.take(req, {} as never), true);
    f.stop();
    assert.equal(f.take(req, {} as never), false);
    assert.equal(calls, 1);
  });
});
