/** GET /rooms/{roomId}/messages: from, to, dir, limit, filter, and history boundaries. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertOk, roomPath, sharedRoom, syncOk, useServer } from '../helpers/integration.js';
import type { TestClient } from '../helpers/client.js';

const ctx = useServer();

interface Page { start: string; end?: string; chunk: any[] }

async function page(c: TestClient, roomId: string, params: Record<string, string | number>): Promise<Page> {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  return assertOk(await c.get(`${roomPath(roomId, 'messages')}?${q}`), `messages ${q}`);
}

const bodies = (chunk: any[]) => chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
const range = (from: number, to: number) => {
  const out: string[] = [];
  for (let i = from; from <= to ? i <= to : i >= to; i += from <= to ? 1 : -1) out.push(`m${i}`);
  return out;
};

describe('messages paging', () => {
  let alice: TestClient;
  let bob: TestClient;
  let roomId: string;

  before(async () => {
    alice = await ctx.user('ma');
    bob = await ctx.user('mb');
    roomId = await sharedRoom(alice, [bob]);
    for (let i = 0; i < 15; i++) await (i % 2 === 0 ? alice : bob).send(roomId, `m${i}`);
  });

  test('dir=b without from starts at the newest event; the default limit is 10', async () => {
    const p = await page(bob, roomId, { dir: 'b' });
    assert.equal(p.chunk.length, 10);
    assert.deepEqual(bodies(p.chunk), range(14, 5));
    assert.equal(typeof p.start, 'string');
    assert.equal(typeof p.end, 'string');
  });

  test('following end tokens backwards walks the whole room without gaps or repeats, and ends without an end token', async () => {
    const seen: any[] = [];
    let from: string | undefined;
    for (let i = 0; i < 20; i++) {
      const p = await page(bob, roomId, { dir: 'b', limit: 4, ...(from ? { from } : {}) });
      assert.ok(p.chunk.length <= 4, 'p.chunk.length <= 4');
      seen.push(...p.chunk);
      if (p.end === undefined) break;
      from = p.end;
      assert.ok(i < 19, 'paging did not terminate');
    }
    const forward = await page(bob, roomId, { dir: 'f', limit: 100 });
    assert.deepEqual(seen.map((e) => e.event_id).reverse(), forward.chunk.map((e) => e.event_id));
    assert.equal(forward.chunk[0].type, 'm.room.create');
    assert.deepEqual(bodies(forward.chunk), range(0, 14));
    assert.equal(new Set(seen.map((e) => e.event_id)).size, seen.length);
  });

  test('dir=f without from starts at the beginning of the room', async () => {
    const p = await page(bob, roomId, { dir: 'f', limit: 3 });
    assert.deepEqual(p.chunk.map((e) => e.type), ['m.room.create', 'm.room.member', 'm.room.power_levels']);
    assert.equal(typeof p.end, 'string');
    const next = await page(bob, roomId, { dir: 'f', limit: 3, from: p.end! });
    assert.equal(next.chunk[0].type, 'm.room.join_rules', 'the next forward page continues where the last stopped');
  });

  test('a backward page\'s end token, read forwards, returns the events after it', async () => {
    const back = await page(bob, roomId, { dir: 'b', limit: 5 });
    assert.deepEqual(bodies(back.chunk), range(14, 10));
    const fwd = await page(bob, roomId, { dir: 'f', limit: 5, from: back.end! });
    assert.deepEqual(bodies(fwd.chunk), range(10, 14));
  });

  test('to bounds the page in either direction', async () => {
    const first = await page(bob, roomId, { dir: 'b', limit: 10 });
    const bounded = await page(bob, roomId, { dir: 'b', limit: 100, to: first.end! });
    assert.deepEqual(bodies(bounded.chunk), range(14, 5));
    assert.equal(bounded.chunk.length, 10);
    const fwd = await page(bob, roomId, { dir: 'f', limit: 100, from: first.end!, to: first.start });
    assert.deepEqual(bodies(fwd.chunk), range(5, 14));
  });

  test('filter: types, not_types and senders', async () => {
    const onlyMessages = await page(bob, roomId, { dir: 'b', limit: 100, filter: JSON.stringify({ types: ['m.room.message'] }) });
    assert.equal(onlyMessages.chunk.length, 15);
    assert.ok(onlyMessages.chunk.every((e) => e.type === 'm.room.message'), 'onlyMessages.chunk.every((e) => e.type === \'m.room.message\')');

    const noMessages = await page(bob, roomId, { dir: 'b', limit: 100, filter: JSON.stringify({ not_types: ['m.room.message'] }) });
    assert.ok(noMessages.chunk.length > 0, 'noMessages.chunk.length > 0');
    assert.ok(noMessages.chunk.every((e) => e.type !== 'm.room.message'), 'noMessages.chunk.every((e) => e.type !== \'m.room.message\')');

    const fromBob = await page(alice, roomId, { dir: 'b', limit: 100, filter: JSON.stringify({ senders: [bob.userId], types: ['m.room.message'] }) });
    assert.deepEqual(bodies(fromBob.chunk), ['m13', 'm11', 'm9', 'm7', 'm5', 'm3', 'm1']);

    const lazy = await page(alice, roomId, { dir: 'b', limit: 2, filter: JSON.stringify({ lazy_load_members: true }) });
    assert.equal(lazy.chunk.length, 2);
  });

  test('a filter that skips most events still fills the page', async () => {
    const p = await page(bob, roomId, { dir: 'f', limit: 3, filter: JSON.stringify({ types: ['m.room.message'] }) });
    assert.deepEqual(bodies(p.chunk), range(0, 2));
  });

  test('the prev_batch of a limited sync timeline continues backwards in /messages', async () => {
    const sync = await syncOk(bob, { filter: JSON.stringify({ room: { timeline: { limit: 3 } } }) });
    const tl = sync.rooms.join[roomId].timeline;
    assert.equal(tl.limited, true);
    assert.deepEqual(bodies(tl.events), range(12, 14));
    const older = await page(bob, roomId, { dir: 'b', limit: 3, from: tl.prev_batch });
    assert.deepEqual(bodies(older.chunk), range(11, 9));
  });
});

describe('messages access and errors', () => {
  test('a former member sees history only up to their leave', async () => {
    const alice = await ctx.user('la');
    const bob = await ctx.user('lb');
    const roomId = await sharedRoom(alice, [bob]);
    await alice.send(roomId, 'before');
    assertOk(await bob.post(roomPath(roomId, 'leave'), {}));
    await alice.send(roomId, 'after');
    const seen = bodies((await page(bob, roomId, { dir: 'b', limit: 100 })).chunk);
    assert.ok(seen.includes('before'), 'seen.includes(\'before\')');
    assert.ok(!seen.includes('after'), '!seen.includes(\'after\')');
  });

  test('an outsider of a private room gets 403', async () => {
    const owner = await ctx.user('pa');
    const outsider = await ctx.user('pout');
    const roomId = await owner.createRoom({});
    assertError(await outsider.get(`${roomPath(roomId, 'messages')}?dir=b`), 403, 'M_FORBIDDEN');
  });

  test('bad tokens, bad filters, bad dir and bad limit are 400s', async () => {
    const u = await ctx.user('perr');
    const roomId = await u.createRoom({});
    assertError(await u.get(`${roomPath(roomId, 'messages')}?dir=b&from=garbage`), 400, 'M_INVALID_PARAM');
    assertError(await u.get(`${roomPath(roomId, 'messages')}?dir=b&filter=${encodeURIComponent('{nope')}`), 400, 'M_NOT_JSON');
    assertError(await u.get(`${roomPath(roomId, 'messages')}?dir=b&filter=${encodeURIComponent('{"types":"m.room.message"}')}`), 400, 'M_BAD_JSON');
    for (const q of ['dir=sideways', '', 'dir=b&limit=-1', 'dir=b&limit=ten']) {
      const res = await u.get(`${roomPath(roomId, 'messages')}?${q}`);
      assert.equal(res.status, 400, `${q}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.errcode, /^M_/);
    }
  });
});
