/** Spec chapter "Client Config": global and per-room account data, and their place in /sync. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { V3, assertError, assertOk, enc, joinedRoom, syncOk, useServer } from '../helpers/integration.js';

const ctx = useServer();
const globalPath = (userId: string, type: string) => `${V3}/user/${enc(userId)}/account_data/${enc(type)}`;
const roomDataPath = (userId: string, roomId: string, type: string) => `${V3}/user/${enc(userId)}/rooms/${enc(roomId)}/account_data/${enc(type)}`;
const globalEvents = (sync: any, type: string) => sync.account_data.events.filter((e: any) => e.type === type);

describe('global account data', () => {
  test('PUT then GET; the latest value wins', async () => {
    const u = await ctx.user('gad');
    assert.deepEqual(assertOk(await u.put(globalPath(u.userId, 'org.example.settings'), { theme: 'dark' })), {});
    assert.deepEqual(assertOk(await u.get(globalPath(u.userId, 'org.example.settings'))), { theme: 'dark' });
    assertOk(await u.put(globalPath(u.userId, 'org.example.settings'), { theme: 'light' }));
    assert.deepEqual(assertOk(await u.get(globalPath(u.userId, 'org.example.settings'))), { theme: 'light' });
  });

  test('appears in the initial sync, and in an incremental sync only when changed', async () => {
    const u = await ctx.user('gadsync');
    assertOk(await u.put(globalPath(u.userId, 'm.direct'), { '@x:localhost': ['!r:localhost'] }));
    const initial = await syncOk(u);
    assert.deepEqual(globalEvents(initial, 'm.direct'), [{ type: 'm.direct', content: { '@x:localhost': ['!r:localhost'] } }]);
    const quiet = await syncOk(u, { since: initial.next_batch });
    assert.deepEqual(globalEvents(quiet, 'm.direct'), []);
    assertOk(await u.put(globalPath(u.userId, 'm.direct'), {}));
    const changed = await syncOk(u, { since: initial.next_batch });
    assert.deepEqual(globalEvents(changed, 'm.direct'), [{ type: 'm.direct', content: {} }]);
  });

  test('unset type is 404; another user\'s data is 403 both ways', async () => {
    const u = await ctx.user('gad404');
    const other = await ctx.user('gadother');
    assertError(await u.get(globalPath(u.userId, 'org.example.never')), 404, 'M_NOT_FOUND');
    assertOk(await other.put(globalPath(other.userId, 'org.example.private'), { secret: 1 }));
    assertError(await u.get(globalPath(other.userId, 'org.example.private')), 403, 'M_FORBIDDEN');
    assertError(await u.put(globalPath(other.userId, 'org.example.private'), { secret: 2 }), 403, 'M_FORBIDDEN');
    assert.deepEqual(assertOk(await other.get(globalPath(other.userId, 'org.example.private'))), { secret: 1 });
  });

  test('server-managed types cannot be set directly; a non-object body is M_BAD_JSON', async () => {
    const u = await ctx.user('gadmanaged');
    for (const type of ['m.fully_read', 'm.push_rules']) {
      const res = await u.put(globalPath(u.userId, type), {});
      assert.ok(res.status >= 400 && res.status < 500, `${type}: ${res.status}`);
      assert.equal(res.body.errcode, 'M_BAD_JSON');
    }
    assertError(await u.put(globalPath(u.userId, 'org.example.list'), [1, 2]), 400, 'M_BAD_JSON');
  });
});

describe('room account data', () => {
  test('PUT then GET, kept apart from global data of the same type', async () => {
    const u = await ctx.user('rad');
    const roomId = await u.createRoom({});
    assertOk(await u.put(roomDataPath(u.userId, roomId, 'm.tag'), { tags: { 'm.favourite': { order: 0.5 } } }));
    assert.deepEqual(assertOk(await u.get(roomDataPath(u.userId, roomId, 'm.tag'))), { tags: { 'm.favourite': { order: 0.5 } } });
    assertError(await u.get(globalPath(u.userId, 'm.tag')), 404, 'M_NOT_FOUND');
  });

  test('appears in rooms.join[room].account_data, not in the global section', async () => {
    const u = await ctx.user('radsync');
    const roomId = await u.createRoom({});
    const since = (await syncOk(u)).next_batch;
    assertOk(await u.put(roomDataPath(u.userId, roomId, 'org.example.note'), { text: 'hi' }));
    const sync = await syncOk(u, { since });
    assert.deepEqual(joinedRoom(sync, roomId).account_data.events, [{ type: 'org.example.note', content: { text: 'hi' } }]);
    assert.deepEqual(globalEvents(sync, 'org.example.note'), []);
    const initial = await syncOk(u);
    assert.deepEqual(joinedRoom(initial, roomId).account_data.events.filter((e: any) => e.type === 'org.example.note'), [{ type: 'org.example.note', content: { text: 'hi' } }]);
  });

  test('a malformed room ID is 400; another user\'s room data is 403', async () => {
    const u = await ctx.user('radbad');
    const other = await ctx.user('radother');
    const roomId = await u.createRoom({});
    const res = await u.put(roomDataPath(u.userId, 'not-a-room', 'm.tag'), {});
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assertError(await other.get(roomDataPath(u.userId, roomId, 'm.tag')), 403, 'M_FORBIDDEN');
  });
});
