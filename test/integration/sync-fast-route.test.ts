/**
 * /sync answered by the fast route (src/http/fastRoutes.ts) and by the Fastify route: the
 * same answers, and every request the fast route is unsure of goes to Fastify, whose
 * errors stay as they were.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { V3, assertError, assertOk, enc, sharedRoom, useServer } from '../helpers/integration.js';

// A still clock: ages and last_active_ago are the same in two answers a moment apart.
const ctx = useServer({ clock: new ManualClock() });
const taken = () => ctx.server.server.deps.fast!.taken;

async function rawSync(query: string, token: string | undefined): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${ctx.url}${V3}/sync${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('/sync on the fast route', () => {
  test('a stored filter is read once by the Fastify route, then the fast route gives the same answer', async () => {
    const a = await ctx.user('fa');
    const b = await ctx.user('fb');
    await sharedRoom(a, [b]);
    const { filter_id } = assertOk(await a.post(`${V3}/user/${enc(a.userId)}/filter`, { room: { timeline: { limit: 3 } } }));
    const before = taken();
    const first = await rawSync(`?filter=${filter_id}`, a.accessToken);
    assert.equal(taken(), before, 'a filter not yet in memory is left to Fastify');
    const second = await rawSync(`?filter=${filter_id}`, a.accessToken);
    assert.equal(taken(), before + 1, 'then the fast route takes it');
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, first.body);
    for (const h of ['content-type', 'cache-control', 'access-control-allow-origin', 'access-control-allow-headers']) {
      assert.equal(second.headers.get(h), first.headers.get(h), h);
    }
    assert.equal(second.headers.get('cache-control'), 'no-store');
  });

  test('a long-poll on the fast route is woken by a message', async () => {
    const a = await ctx.user('fla');
    const b = await ctx.user('flb');
    const roomId = await sharedRoom(a, [b]);
    const since = assertOk(await b.sync()).next_batch;
    const before = taken();
    const poll = rawSync(`?since=${since}&timeout=20000`, b.accessToken);
    await new Promise((r) => setTimeout(r, 50));
    assertOk(await a.put(`${V3}/rooms/${enc(roomId)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'hi' }));
    const res = await poll;
    assert.equal(res.status, 200);
    const events = res.body.rooms.join[roomId].timeline.events as { content: { body?: string } }[];
    assert.ok(events.some((e) => e.content.body === 'hi'));
    assert.equal(taken(), before + 1);
  });

  test('requests it is unsure of get the errors they always got', async () => {
    const a = await ctx.user('fe');
    const since = assertOk(await a.sync()).next_batch;
    const before = taken();
    const cases: [string, string | undefined, number, string][] = [
      ['', 'not-a-token', 401, 'M_UNKNOWN_TOKEN'],
      ['', undefined, 401, 'M_MISSING_TOKEN'],
      ['?timeout=soon', a.accessToken, 400, 'M_INVALID_PARAM'],
      ['?set_presence=busy', a.accessToken, 400, 'M_INVALID_PARAM'],
      ['?since=nonsense', a.accessToken, 400, 'M_INVALID_PARAM'],
      [`?since=${since}&since=${since}`, a.accessToken, 400, 'M_INVALID_PARAM'],
      [`?filter=${enc('{"room":')}`, a.accessToken, 400, 'M_NOT_JSON'],
      ['?filter=999999', a.accessToken, 404, 'M_NOT_FOUND'],
      ['?filter=abc', a.accessToken, 400, 'M_INVALID_PARAM'],
    ];
    for (const [query, token, status, errcode] of cases) {
      const r = await rawSync(query, token);
      assertError({ status: r.status, body: r.body }, status, errcode);
    }
    assert.equal(taken(), before, 'none of them was taken');
    // The token in the query parameter is accepted on both ways in.
    const viaParam = await fetch(`${ctx.url}${V3}/sync?access_token=${enc(a.accessToken)}`);
    assert.equal(viaParam.status, 200);
    assert.equal(taken(), before + 1);
  });

  test('a logged-out token is refused at once, not served from the fast route', async () => {
    const a = await ctx.user('flo');
    assertOk(await a.sync());
    const token = a.accessToken;
    assertOk(await a.post(`${V3}/logout`));
    const r = await rawSync('', token);
    assertError({ status: r.status, body: r.body }, 401, 'M_UNKNOWN_TOKEN');
  });
});
