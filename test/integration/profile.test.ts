/** Spec chapter "Profiles", and the member events a profile change sends (seeds 000, 003). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { V3, assertError, assertOk, enc, roomPath, sharedRoom, stateEvent, syncOk, timelineOf, uniqueName, useServer } from '../helpers/integration.js';

const ctx = useServer();
const profilePath = (userId: string, field?: string) => `${V3}/profile/${enc(userId)}${field ? `/${field}` : ''}`;

describe('profile fields', () => {
  test('PUT then GET displayname and avatar_url, singly and together', async () => {
    const u = await ctx.user('prof');
    assert.deepEqual(assertOk(await u.put(profilePath(u.userId, 'displayname'), { displayname: 'Alice A.' })), {});
    assertOk(await u.put(profilePath(u.userId, 'avatar_url'), { avatar_url: 'mxc://localhost/abc' }));
    assert.deepEqual(assertOk(await u.get(profilePath(u.userId, 'displayname'))), { displayname: 'Alice A.' });
    assert.deepEqual(assertOk(await u.get(profilePath(u.userId, 'avatar_url'))), { avatar_url: 'mxc://localhost/abc' });
    assert.deepEqual(assertOk(await u.get(profilePath(u.userId))), { displayname: 'Alice A.', avatar_url: 'mxc://localhost/abc' });
  });

  test('another user can read the profile', async () => {
    const u = await ctx.user('readable');
    const reader = await ctx.user('reader');
    assertOk(await u.put(profilePath(u.userId, 'displayname'), { displayname: 'Readable' }));
    assert.deepEqual(assertOk(await reader.get(profilePath(u.userId, 'displayname'))), { displayname: 'Readable' });
  });

  test("changing someone else's profile is 403 M_FORBIDDEN and changes nothing", async () => {
    const victim = await ctx.user('victim');
    const mallory = await ctx.user('mal');
    assertOk(await victim.put(profilePath(victim.userId, 'displayname'), { displayname: 'Real name' }));
    assertError(await mallory.put(profilePath(victim.userId, 'displayname'), { displayname: 'pwned' }), 403, 'M_FORBIDDEN');
    assertError(await mallory.put(profilePath(victim.userId, 'avatar_url'), { avatar_url: 'mxc://evil/x' }), 403, 'M_FORBIDDEN');
    assert.deepEqual(assertOk(await victim.get(profilePath(victim.userId))), { displayname: 'Real name' });
  });

  test('unknown user is 404 M_NOT_FOUND; PUT needs a token', async () => {
    const u = await ctx.user('p404');
    assertError(await u.get(profilePath(`@${uniqueName('nobody')}:localhost`)), 404, 'M_NOT_FOUND');
    assertError(await u.get(profilePath(`@${uniqueName('nobody')}:localhost`, 'displayname')), 404, 'M_NOT_FOUND');
    assertError(await u.put(profilePath(u.userId, 'displayname'), { displayname: 'x' }, { token: null }), 401, 'M_MISSING_TOKEN');
  });

  test('a non-string displayname is 400, never a 500', async () => {
    const u = await ctx.user('ptype');
    const res = await u.put(profilePath(u.userId, 'displayname'), { displayname: 42 });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.errcode, /^M_/);
  });
});

describe('profile changes reach rooms', () => {
  test('a change sends a new m.room.member with both fields into every joined room, and none into invited ones', async () => {
    const alice = await ctx.user('alice');
    const bob = await ctx.user('bob');
    const room1 = await sharedRoom(alice, [bob]);
    const room2 = await alice.createRoom({});
    const invitedOnly = await bob.createRoom({ invite: [alice.userId] });
    const inviteBefore = await stateEvent(bob, invitedOnly, 'm.room.member', alice.userId);

    assertOk(await alice.put(profilePath(alice.userId, 'avatar_url'), { avatar_url: 'mxc://localhost/alice' }));
    assertOk(await alice.put(profilePath(alice.userId, 'displayname'), { displayname: 'Alice Liddell' }));

    for (const roomId of [room1, room2]) {
      const ev = await stateEvent(alice, roomId, 'm.room.member', alice.userId);
      assert.equal(ev.content.membership, 'join');
      assert.equal(ev.content.displayname, 'Alice Liddell');
      assert.equal(ev.content.avatar_url, 'mxc://localhost/alice');
      assert.equal(ev.sender, alice.userId);
    }
    const inviteAfter = await stateEvent(bob, invitedOnly, 'm.room.member', alice.userId);
    assert.equal(inviteAfter.event_id, inviteBefore.event_id, 'an invite is not turned into a join by a profile change');

    // Bob, in room1, sees the change in his timeline with the previous content.
    const sync = await syncOk(bob, { filter: JSON.stringify({ room: { timeline: { limit: 50 } } }) });
    const changes = timelineOf(sync, room1).filter((e) => e.type === 'm.room.member' && e.state_key === alice.userId);
    const last = changes[changes.length - 1];
    assert.equal(last.content.displayname, 'Alice Liddell');
    assert.equal(last.content.avatar_url, 'mxc://localhost/alice');
    assert.equal(last.unsigned.prev_content.avatar_url, 'mxc://localhost/alice');
    assert.notEqual(last.unsigned.prev_content.displayname, 'Alice Liddell');
  });

  test('setting the same value again sends no new member event', async () => {
    const u = await ctx.user('same');
    const roomId = await u.createRoom({});
    assertOk(await u.put(profilePath(u.userId, 'displayname'), { displayname: 'Same' }));
    const first = await stateEvent(u, roomId, 'm.room.member', u.userId);
    assertOk(await u.put(profilePath(u.userId, 'displayname'), { displayname: 'Same' }));
    const second = await stateEvent(u, roomId, 'm.room.member', u.userId);
    assert.equal(second.event_id, first.event_id);
  });

  test('every membership event the server creates carries displayname and avatar_url', async () => {
    const alice = await ctx.user('mem_a');
    const bob = await ctx.user('mem_b');
    assertOk(await bob.put(profilePath(bob.userId, 'displayname'), { displayname: 'Bob B.' }));
    assertOk(await bob.put(profilePath(bob.userId, 'avatar_url'), { avatar_url: 'mxc://localhost/bob' }));
    const roomId = await alice.createRoom({ preset: 'public_chat' });

    const creatorJoin = await stateEvent(alice, roomId, 'm.room.member', alice.userId);
    assert.ok('displayname' in creatorJoin.content && 'avatar_url' in creatorJoin.content, JSON.stringify(creatorJoin.content));

    const expectBob = async (membership: string) => {
      const ev = await stateEvent(alice, roomId, 'm.room.member', bob.userId);
      assert.equal(ev.content.membership, membership);
      assert.equal(ev.content.displayname, 'Bob B.', `${membership}: ${JSON.stringify(ev.content)}`);
      assert.equal(ev.content.avatar_url, 'mxc://localhost/bob', `${membership}: ${JSON.stringify(ev.content)}`);
    };
    assertOk(await alice.post(roomPath(roomId, 'invite'), { user_id: bob.userId }));
    await expectBob('invite');
    await bob.join(roomId);
    await expectBob('join');
    assertOk(await bob.post(roomPath(roomId, 'leave'), {}));
    await expectBob('leave');
    await bob.join(roomId);
    assertOk(await alice.post(roomPath(roomId, 'kick'), { user_id: bob.userId, reason: 'test' }));
    await expectBob('leave');
    assertOk(await alice.post(roomPath(roomId, 'ban'), { user_id: bob.userId }));
    await expectBob('ban');
    assertOk(await alice.post(roomPath(roomId, 'unban'), { user_id: bob.userId }));
    await expectBob('leave');
  });
});
