/** During a stop, a request Fastify still reads is refused with Matrix JSON, not Fastify's own body. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { buildApp } from '../../../src/http/index.js';

test('a request that arrives while the server is stopping gets 503 Matrix JSON', async () => {
  const app = await buildApp({
    maxBodyBytes: 1024,
    logLevel: 'silent',
    clientRoutes: [],
    rootRoutes: [async (a) => { a.get('/ping', async () => ({ ok: true })); }],
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(address).port);
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  // Half a request: the connection is busy, so close() does not drop it as idle.
  socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n');
  await new Promise((r) => setTimeout(r, 50));
  const closing = app.close();
  await new Promise((r) => setTimeout(r, 50));
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString()));
  const ended = new Promise<void>((r) => socket.once('close', () => r()));
  socket.write('\r\n');
  await ended;
  await closing;
  assert.match(answer, /^HTTP\/1\.1 503 /);
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { errcode: string; retry_after_ms: number };
  assert.equal(body.errcode, 'M_UNKNOWN');
  assert.equal(body.retry_after_ms, 1000, 'clients are told to retry soon (another instance may answer)');
  assert.match(answer, /\r\nretry-after: 1\r\n/i);
});
