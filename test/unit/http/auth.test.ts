import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { authenticator } from '../../../src/http/auth.js';
import type { Session, UsersService } from '../../../src/users/index.js';

function fakeRequest(authorization?: string): FastifyRequest {
  return { headers: authorization === undefined ? {} : { authorization }, query: {} } as unknown as FastifyRequest;
}

test('a request is authenticated once however often it asks; each request asks for itself', async () => {
  const asked: string[] = [];
  const users = {
    authenticate: async (token: string) => {
      asked.push(token);
      return token === 'good' ? ({ userId: '@a:x', deviceId: 'D' } as Session) : undefined;
    },
  } as unknown as UsersService;
  const auth = authenticator(users);
  const r1 = fakeRequest('Bearer good');
  const first = auth(r1);
  assert.equal(auth(r1), first, 'the hook and the handler share one answer');
  assert.equal((await first).userId, '@a:x');
  const r2 = fakeRequest('Bearer good');
  await auth(r2);
  assert.deepEqual(asked, ['good', 'good']);

  const bad = fakeRequest('Bearer nope');
  await assert.rejects(auth(bad), (e: { errcode?: string }) => e.errcode === 'M_UNKNOWN_TOKEN');
  await assert.rejects(auth(bad), (e: { errcode?: string }) => e.errcode === 'M_UNKNOWN_TOKEN');
  assert.deepEqual(asked, ['good', 'good', 'nope'], 'a refused request is not asked about again');
  await assert.rejects(auth(fakeRequest()), (e: { errcode?: string }) => e.errcode === 'M_MISSING_TOKEN');
});
