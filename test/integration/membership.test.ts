/** Spec chapter "Room membership": join, invite, leave, forget, kick, ban, unban, and member lists. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { V3, assertError, assertOk, enc, roomPath, sharedRoom, stateEvent, syncOk, uniqueName, useServer } from '../helpers/integration.js';
import type { TestClient } from '../helpers/client.js';

const ctx = useServer();

const joinedRooms = async (c: TestClient): Promise<string[]> => assertOk(await c.get(`${V3}/joined_rooms`)).joined_rooms;
const membershipOf = async (viewer: TestClient, roomId: string, userId: string) =>
  (await stateEvent(viewer, roomId, 'm.room.member', userId)).content.membership;

describe('join', () => {
  test('by room ID, by alias, and through /rooms/{id}/join; joining twice is harmless', async () => {
    const owner = await ctx.user('jowner');
    const a = await ctx.user('ja');
    const b = await ctx.user('jb');
    const c = await ctx.user('jc');
    const aliasName = uniqueName('joinme');
    const roomId = await owner.createRoom({ preset: 'public_chat', room_alias_name: aliasName });

    assert.equal(assertOk(await a.post(`${V3}/join/${enc(roomId)}`, {})).room_id, roomId);
    assert.equal(assertOk(await b.post(`${V3}/join/${enc(`#${aliasName}:localhost`)}`, {})).room_id, roomId);
    assert.equal(assertOk(await c.post(roomPath(roomId, 'join'), {})).room_id, roomId);
    assert.equal(assertOk(await c.post(roomPath(roomId, 'join'), {})).room_id, roomId);
    for (const u of [a, b, c]) {
      assert.ok((await joinedRooms(u)).includes(roomId), '(await joinedRooms(u)).includes(roomId)');
      assert.equal(await membershipOf(owner, roomId, u.userId), 'join');
    }
  });

  test('an invite-only room refuses an uninvited user with 403; unknown room and alias are 404', async () => {
    const owner = await ctx.user('jpriv');
    const stranger = await ctx.user('jstranger');
    const roomId = await owner.createRoom({ preset: 'private_chat' });
    assertError(await stranger.post(`${V3}/join/${enc(roomId)}`, {}), 403, 'M_FORBIDDEN');
    assert.ok(!(await joinedRooms(stranger)).includes(roomId), '!(await joinedRooms(stranger)).includes(roomId)');
    assertError(await stranger.post(`${V3}/join/${enc('!doesnotexist:localhost')}`, {}), 404, 'M_NOT_FOUND');
    assertError(await stranger.post(`${V3}/join/${enc(`#${uniqueName('nope')}:localhost`)}`, {}), 404, 'M_NOT_FOUND');
  });
});

describe('invite, leave, forget', () => {
  test('invite lets the user join an invite-only room; the invitee can also reject by leaving', async () => {
    const owner = await ctx.user('iowner');
    const guest = await ctx.user('iguest');
    const decliner = await ctx.user('idecline');
    const roomId = await owner.createRoom({ preset: 'private_chat' });
    assert.deepEqual(assertOk(await owner.post(roomPath(roomId, 'invite'), { user_id: guest.userId })), {});
    assertOk(await owner.post(roomPath(roomId, 'invite'), { user_id: decliner.userId }));
    assert.equal(await membershipOf(owner, roomId, guest.userId), 'invite');
    await guest.join(roomId);
    assert.equal(await membershipOf(owner, roomId, guest.userId), 'join');
    assertOk(await decliner.post(roomPath(roomId, 'leave'), {}));
    assert.equal(await membershipOf(owner, roomId, decliner.userId), 'leave');
  });

  test('auth rules: a non-member cannot invite, nor can a member below the invite level; a joined user cannot be invited', async () => {
    const owner = await ctx.user('iaowner');
    const member = await ctx.user('iamember');
    const outsider = await ctx.user('iaoutsider');
    const target = await ctx.user('iatarget');
    const roomId = await owner.createRoom({ preset: 'public_chat' }); // invite level 50
    await member.join(roomId);
    assertError(await outsider.post(roomPath(roomId, 'invite'), { user_id: target.userId }), 403, 'M_FORBIDDEN');
    assertError(await member.post(roomPath(roomId, 'invite'), { user_id: target.userId }), 403, 'M_FORBIDDEN');
    assertError(await owner.post(roomPath(roomId, 'invite'), { user_id: member.userId }), 403, 'M_FORBIDDEN');
    const inviteOnly = await owner.createRoom({ preset: 'private_chat' });
    assertError(await member.post(roomPath(inviteOnly, 'invite'), { user_id: target.userId }), 403, 'M_FORBIDDEN');
  });

  test('invite with a malformed user ID is 400; to an unknown room 404 or 403', async () => {
    const owner = await ctx.user('ibad');
    const roomId = await owner.createRoom({});
    const res = await owner.post(roomPath(roomId, 'invite'), { user_id: 'nobody' });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    const unknown = await owner.post(roomPath('!unknownroom:localhost', 'invite'), { user_id: owner.userId });
    assert.ok(unknown.status === 404 || unknown.status === 403, JSON.stringify(unknown));
  });

  test('leave removes the room from joined_rooms and stops sending into it', async () => {
    const owner = await ctx.user('lowner');
    const u = await ctx.user('lu');
    const roomId = await sharedRoom(owner, [u]);
    assertOk(await u.post(roomPath(roomId, 'leave'), {}));
    assert.ok(!(await joinedRooms(u)).includes(roomId), '!(await joinedRooms(u)).includes(roomId)');
    assert.equal(await membershipOf(owner, roomId, u.userId), 'leave');
    assertError(await u.put(roomPath(roomId, 'send', 'm.room.message', 'x1'), { msgtype: 'm.text', body: 'ghost' }), 403, 'M_FORBIDDEN');
  });

  test('forget: refused while joined, allowed after leaving, then the room leaves the sync leave section', async () => {
    const owner = await ctx.user('fowner');
    const u = await ctx.user('fu');
    const roomId = await sharedRoom(owner, [u]);
    const refused = await u.post(roomPath(roomId, 'forget'), {});
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assertOk(await u.post(roomPath(roomId, 'leave'), {}));
    const withLeave = JSON.stringify({ room: { include_leave: true } });
    assert.ok((await syncOk(u, { filter: withLeave })).rooms.leave[roomId], 'left room shows with include_leave');
    assertOk(await u.post(roomPath(roomId, 'forget'), {}));
    assert.equal((await syncOk(u, { filter: withLeave })).rooms.leave[roomId], undefined, 'forgotten room is gone');
    assertError(await (await ctx.user('fnever')).post(roomPath(roomId, 'forget'), {}), 404, 'M_NOT_FOUND');
  });
});

describe('kick, ban, unban', () => {
  test('kick: a moderator can, a plain member cannot; the kicked user may rejoin a public room', async () => {
    const owner = await ctx.user('kowner');
    const a = await ctx.user('ka');
    const b = await ctx.user('kb');
    const roomId = await owner.createRoom({ preset: 'public_chat' });
    await a.join(roomId);
    await b.join(roomId);
    assertError(await a.post(roomPath(roomId, 'kick'), { user_id: b.userId }), 403, 'M_FORBIDDEN');
    assert.equal(await membershipOf(owner, roomId, b.userId), 'join');
    assertOk(await owner.post(roomPath(roomId, 'kick'), { user_id: b.userId, reason: 'spam' }));
    const ev = await stateEvent(owner, roomId, 'm.room.member', b.userId);
    assert.equal(ev.content.membership, 'leave');
    assert.equal(ev.content.reason, 'spam');
    assert.equal(ev.sender, owner.userId);
    assert.ok(!(await joinedRooms(b)).includes(roomId), '!(await joinedRooms(b)).includes(roomId)');
    await b.join(roomId);
    assertError(await owner.post(roomPath(roomId, 'kick'), { user_id: `@${uniqueName('absent')}:localhost` }), 403, 'M_FORBIDDEN');
  });

  test('ban keeps the user out; unban lets them back; both need the ban level', async () => {
    const owner = await ctx.user('bowner');
    const a = await ctx.user('ba');
    const b = await ctx.user('bb');
    const roomId = await owner.createRoom({ preset: 'public_chat' });
    await a.join(roomId);
    await b.join(roomId);
    assertError(await a.post(roomPath(roomId, 'ban'), { user_id: b.userId }), 403, 'M_FORBIDDEN');
    assertOk(await owner.post(roomPath(roomId, 'ban'), { user_id: b.userId, reason: 'rude' }));
    assert.equal(await membershipOf(owner, roomId, b.userId), 'ban');
    assert.ok(!(await joinedRooms(b)).includes(roomId), '!(await joinedRooms(b)).includes(roomId)');
    assertError(await b.post(`${V3}/join/${enc(roomId)}`, {}), 403, 'M_FORBIDDEN');
    assertError(await a.post(roomPath(roomId, 'unban'), { user_id: b.userId }), 403, 'M_FORBIDDEN');
    assertOk(await owner.post(roomPath(roomId, 'unban'), { user_id: b.userId }));
    assert.equal(await membershipOf(owner, roomId, b.userId), 'leave');
    await b.join(roomId);
    assert.equal(await membershipOf(owner, roomId, b.userId), 'join');
    assertError(await owner.post(roomPath(roomId, 'unban'), { user_id: a.userId }), 403, 'M_FORBIDDEN');
  });

  test('a banned user cannot lift the ban by leaving', async () => {
    const owner = await ctx.user('bl_owner');
    const b = await ctx.user('bl_b');
    const roomId = await owner.createRoom({ preset: 'public_chat' });
    await b.join(roomId);
    assertOk(await owner.post(roomPath(roomId, 'ban'), { user_id: b.userId }));
    assertError(await b.post(roomPath(roomId, 'leave'), {}), 403, 'M_FORBIDDEN');
    assert.equal(await membershipOf(owner, roomId, b.userId), 'ban');
  });
});

describe('member lists', () => {
  test('joined_rooms lists exactly the joined rooms', async () => {
    const u = await ctx.user('jr');
    const other = await ctx.user('jrother');
    const r1 = await u.createRoom({});
    const r2 = await u.createRoom({});
    const invitedTo = await other.createRoom({ invite: [u.userId] });
    const rooms = await joinedRooms(u);
    assert.deepEqual([...rooms].sort(), [r1, r2].sort());
    assert.ok(!rooms.includes(invitedTo), '!rooms.includes(invitedTo)');
  });

  test('members returns m.room.member events, filterable by membership and not_membership', async () => {
    const owner = await ctx.user('mowner');
    const joined = await ctx.user('mjoined');
    const invited = await ctx.user('minvited');
    const roomId = await sharedRoom(owner, [joined]);
    assertOk(await owner.post(roomPath(roomId, 'invite'), { user_id: invited.userId }));

    const all = assertOk(await joined.get(roomPath(roomId, 'members'))).chunk;
    assert.ok(all.every((e: any) => e.type === 'm.room.member'), 'all.every((e: any) => e.type === \'m.room.member\')');
    const byUser = Object.fromEntries(all.map((e: any) => [e.state_key, e.content.membership]));
    assert.deepEqual(byUser, { [owner.userId]: 'join', [joined.userId]: 'join', [invited.userId]: 'invite' });

    const onlyJoined = assertOk(await joined.get(`${roomPath(roomId, 'members')}?membership=join`)).chunk.map((e: any) => e.state_key).sort();
    assert.deepEqual(onlyJoined, [owner.userId, joined.userId].sort());
    const notJoined = assertOk(await joined.get(`${roomPath(roomId, 'members')}?not_membership=join`)).chunk.map((e: any) => e.state_key);
    assert.deepEqual(notJoined, [invited.userId]);
  });

  test('joined_members maps joined users to display_name and avatar_url', async () => {
    const owner = await ctx.user('jmowner');
    const member = await ctx.user('jmmember');
    assertOk(await member.put(`${V3}/profile/${enc(member.userId)}/displayname`, { displayname: 'Member M' }));
    const roomId = await sharedRoom(owner, [member]);
    const joined = assertOk(await owner.get(roomPath(roomId, 'joined_members'))).joined;
    assert.deepEqual(Object.keys(joined).sort(), [owner.userId, member.userId].sort());
    assert.equal(joined[member.userId].display_name, 'Member M');
    assert.ok('avatar_url' in joined[member.userId], '\'avatar_url\' in joined[member.userId]');
  });

  test('a non-member gets 403 from members and joined_members of a private room', async () => {
    const owner = await ctx.user('mpriv');
    const outsider = await ctx.user('mout');
    const roomId = await owner.createRoom({ preset: 'private_chat' });
    assertError(await outsider.get(roomPath(roomId, 'members')), 403, 'M_FORBIDDEN');
    assertError(await outsider.get(roomPath(roomId, 'joined_members')), 403, 'M_FORBIDDEN');
  });
});
