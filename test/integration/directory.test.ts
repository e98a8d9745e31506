/** Spec chapter "Room aliases": PUT, GET, DELETE /directory/room/{alias}, and /rooms/{id}/aliases. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { V3, assertError, assertOk, enc, roomPath, sharedRoom, uniqueName, useServer } from '../helpers/integration.js';

const ctx = useServer();
const aliasPath = (alias: string) => `${V3}/directory/room/${enc(alias)}`;

describe('room aliases', () => {
  test('a member creates an alias; anyone resolves it; it is listed for the room', async () => {
    const owner = await ctx.user('dirown');
    const stranger = await ctx.user('dirstr');
    const roomId = await owner.createRoom({});
    const alias = `#${uniqueName('dir')}:localhost`;
    assert.deepEqual(assertOk(await owner.put(aliasPath(alias), { room_id: roomId })), {});
    assert.deepEqual(assertOk(await stranger.get(aliasPath(alias))), { room_id: roomId, servers: ['localhost'] });
    assert.ok(assertOk(await owner.get(roomPath(roomId, 'aliases'))).aliases.includes(alias), 'listed');
    assertError(await owner.put(aliasPath(alias), { room_id: roomId }), 409, 'M_UNKNOWN');
  });

  test('a non-member cannot point an alias at a room; unknown rooms and foreign servers are refused', async () => {
    const owner = await ctx.user('dirnm');
    const outsider = await ctx.user('dirout');
    const roomId = await owner.createRoom({});
    assertError(await outsider.put(aliasPath(`#${uniqueName('x')}:localhost`), { room_id: roomId }), 403, 'M_FORBIDDEN');
    assertError(await owner.put(aliasPath(`#${uniqueName('x')}:localhost`), { room_id: '!nosuch:localhost' }), 404, 'M_NOT_FOUND');
    const foreign = await owner.put(aliasPath(`#${uniqueName('x')}:elsewhere.example`), { room_id: roomId });
    assert.equal(foreign.status, 400, JSON.stringify(foreign.body));
    assertError(await owner.get(aliasPath(`#${uniqueName('none')}:localhost`)), 404, 'M_NOT_FOUND');
  });

  test('DELETE: the alias creator or a moderator may, another member may not', async () => {
    const owner = await ctx.user('delown');
    const member = await ctx.user('delmem');
    const roomId = await sharedRoom(owner, [member]);
    const byOwner = `#${uniqueName('o')}:localhost`;
    const byMember = `#${uniqueName('m')}:localhost`;
    assertOk(await owner.put(aliasPath(byOwner), { room_id: roomId }));
    assertOk(await member.put(aliasPath(byMember), { room_id: roomId }));
    assertError(await member.delete(aliasPath(byOwner)), 403, 'M_FORBIDDEN');
    assertOk(await owner.get(aliasPath(byOwner)), 'still there');
    assertOk(await member.delete(aliasPath(byMember)), 'its creator may');
    assertOk(await owner.delete(aliasPath(byOwner)), 'the moderator may');
    assertError(await owner.get(aliasPath(byOwner)), 404, 'M_NOT_FOUND');
    assertError(await owner.delete(aliasPath(byOwner)), 404, 'M_NOT_FOUND');
    assert.deepEqual(assertOk(await owner.get(roomPath(roomId, 'aliases'))).aliases, []);
  });
});
