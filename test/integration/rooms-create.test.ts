/** Spec chapter "Rooms": POST /createRoom and what the room looks like afterwards. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { V3, assertError, assertOk, enc, roomPath, stateEvent, uniqueName, useServer } from '../helpers/integration.js';
import type { TestClient } from '../helpers/client.js';

const ctx = useServer();

async function stateContent(c: TestClient, roomId: string, type: string, stateKey = ''): Promise<any> {
  return (await stateEvent(c, roomId, type, stateKey)).content;
}

async function allState(c: TestClient, roomId: string): Promise<any[]> {
  return assertOk(await c.get(roomPath(roomId, 'state')));
}

describe('createRoom presets', () => {
  test('private_chat (the default): invite-only, shared history, guests can join', async () => {
    const u = await ctx.user('priv');
    for (const body of [{}, { preset: 'private_chat' }]) {
      const roomId = await u.createRoom(body);
      assert.match(roomId, /^![A-Za-z0-9]+:localhost$/);
      assert.equal((await stateContent(u, roomId, 'm.room.join_rules')).join_rule, 'invite');
      assert.equal((await stateContent(u, roomId, 'm.room.history_visibility')).history_visibility, 'shared');
      assert.equal((await stateContent(u, roomId, 'm.room.guest_access')).guest_access, 'can_join');
      const create = await stateContent(u, roomId, 'm.room.create');
      assert.equal(create.room_version, '10');
      const pl = await stateContent(u, roomId, 'm.room.power_levels');
      assert.equal(pl.users[u.userId], 100);
    }
  });

  test('public_chat, also chosen by visibility=public: public join rule and anyone can join', async () => {
    const owner = await ctx.user('pub');
    const joiner = await ctx.user('pubjoin');
    for (const body of [{ preset: 'public_chat' }, { visibility: 'public' }]) {
      const roomId = await owner.createRoom(body);
      assert.equal((await stateContent(owner, roomId, 'm.room.join_rules')).join_rule, 'public');
      const guest = await owner.get(roomPath(roomId, 'state', 'm.room.guest_access', ''));
      if (guest.status === 200) assert.equal(guest.body.guest_access, 'forbidden');
      else assertError(guest, 404, 'M_NOT_FOUND');
      await joiner.join(roomId);
    }
  });

  test('trusted_private_chat gives invitees the creator\'s power level', async () => {
    const owner = await ctx.user('trust');
    const friend = await ctx.user('friend');
    const roomId = await owner.createRoom({ preset: 'trusted_private_chat', invite: [friend.userId] });
    assert.equal((await stateContent(owner, roomId, 'm.room.join_rules')).join_rule, 'invite');
    const pl = await stateContent(owner, roomId, 'm.room.power_levels');
    assert.equal(pl.users[owner.userId], 100);
    assert.equal(pl.users[friend.userId], 100);
  });

  test('an unknown preset or room version is 400', async () => {
    const u = await ctx.user('badpreset');
    const preset = await u.post(`${V3}/createRoom`, { preset: 'party' });
    assert.equal(preset.status, 400, JSON.stringify(preset.body));
    assertError(await u.post(`${V3}/createRoom`, { room_version: '999' }), 400, 'M_UNSUPPORTED_ROOM_VERSION');
  });
});

describe('createRoom options', () => {
  test('name, topic and the event order of the spec', async () => {
    const u = await ctx.user('named');
    const roomId = await u.createRoom({ name: 'The Room', topic: 'Things', room_alias_name: uniqueName('order') });
    assert.equal((await stateContent(u, roomId, 'm.room.name')).name, 'The Room');
    assert.equal((await stateContent(u, roomId, 'm.room.topic')).topic, 'Things');
    const chunk = assertOk(await u.get(`${roomPath(roomId, 'messages')}?dir=f&limit=50`)).chunk;
    const types = chunk.map((e: any) => e.type);
    assert.deepEqual(types.slice(0, 4), ['m.room.create', 'm.room.member', 'm.room.power_levels', 'm.room.canonical_alias']);
    assert.ok(types.indexOf('m.room.join_rules') > types.indexOf('m.room.canonical_alias'), 'types.indexOf(\'m.room.join_rules\') > types.indexOf(\'m.room.canonical_alias\')');
    assert.ok(types.indexOf('m.room.name') > types.indexOf('m.room.history_visibility'), 'types.indexOf(\'m.room.name\') > types.indexOf(\'m.room.history_visibility\')');
    assert.ok(types.indexOf('m.room.topic') > types.indexOf('m.room.name'), 'types.indexOf(\'m.room.topic\') > types.indexOf(\'m.room.name\')');
  });

  test('invite and is_direct: invitees get an invite with is_direct set', async () => {
    const owner = await ctx.user('dm');
    const other = await ctx.user('dmother');
    const roomId = await owner.createRoom({ invite: [other.userId], is_direct: true, preset: 'trusted_private_chat' });
    const invite = await stateContent(owner, roomId, 'm.room.member', other.userId);
    assert.equal(invite.membership, 'invite');
    assert.equal(invite.is_direct, true);
    const plain = await owner.createRoom({ invite: [other.userId] });
    assert.notEqual((await stateContent(owner, plain, 'm.room.member', other.userId)).is_direct, true);
  });

  test('initial_state adds state and overrides the preset\'s events', async () => {
    const u = await ctx.user('initial');
    const roomId = await u.createRoom({
      preset: 'private_chat',
      initial_state: [
        { type: 'm.room.history_visibility', content: { history_visibility: 'joined' } },
        { type: 'org.example.custom', state_key: 'k1', content: { answer: 42 } },
      ],
    });
    assert.equal((await stateContent(u, roomId, 'm.room.history_visibility')).history_visibility, 'joined');
    assert.deepEqual(await stateContent(u, roomId, 'org.example.custom', 'k1'), { answer: 42 });
  });

  test('power_level_content_override is merged into the power levels and enforced', async () => {
    const owner = await ctx.user('plo');
    const member = await ctx.user('plomember');
    const roomId = await owner.createRoom({
      preset: 'public_chat',
      power_level_content_override: { events_default: 50, users: { [owner.userId]: 100, [member.userId]: 10 } },
    });
    const pl = await stateContent(owner, roomId, 'm.room.power_levels');
    assert.equal(pl.events_default, 50);
    assert.equal(pl.users[member.userId], 10);
    assert.equal(pl.state_default, 50, 'unmentioned keys keep their defaults');
    await member.join(roomId);
    const res = await member.put(roomPath(roomId, 'send', 'm.room.message', 't1'), { msgtype: 'm.text', body: 'hi' });
    assertError(res, 403, 'M_FORBIDDEN');
    await owner.send(roomId, 'owner may');
  });

  test('room_alias_name creates the alias and m.room.canonical_alias; a taken alias is M_ROOM_IN_USE', async () => {
    const u = await ctx.user('alias');
    const name = uniqueName('room');
    const roomId = await u.createRoom({ room_alias_name: name });
    const alias = `#${name}:localhost`;
    assert.equal((await stateContent(u, roomId, 'm.room.canonical_alias')).alias, alias);
    const resolved = assertOk(await u.get(`${V3}/directory/room/${enc(alias)}`));
    assert.equal(resolved.room_id, roomId);
    assert.deepEqual(resolved.servers, ['localhost']);
    assertError(await u.post(`${V3}/createRoom`, { room_alias_name: name }), 400, 'M_ROOM_IN_USE');
  });

  test('the creator is joined and the room is listed in joined_rooms', async () => {
    const u = await ctx.user('joined');
    const roomId = await u.createRoom({});
    assert.ok(assertOk(await u.get(`${V3}/joined_rooms`)).joined_rooms.includes(roomId), 'assertOk(await u.get(`${V3}/joined_rooms`)).joined_rooms.includes(roomId)');
    const types = (await allState(u, roomId)).map((e: any) => `${e.type}|${e.state_key}`);
    for (const t of ['m.room.create|', `m.room.member|${u.userId}`, 'm.room.power_levels|', 'm.room.join_rules|', 'm.room.history_visibility|']) {
      assert.ok(types.includes(t), `state has ${t}`);
    }
  });

  test('invite with a malformed user ID is 400 and creates no room', async () => {
    const u = await ctx.user('badinvite');
    const before = assertOk(await u.get(`${V3}/joined_rooms`)).joined_rooms.length;
    const res = await u.post(`${V3}/createRoom`, { invite: ['not-a-user'] });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(assertOk(await u.get(`${V3}/joined_rooms`)).joined_rooms.length, before);
  });
});
