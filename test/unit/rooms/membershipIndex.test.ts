import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MembershipIndex } from '../../../src/rooms/index.js';

test('membership index: joins, leaves, shared rooms and co-members', () => {
  const ix = new MembershipIndex();
  ix.load([{ roomId: '!r1', userId: '@a' }, { roomId: '!r1', userId: '@b' }, { roomId: '!r2', userId: '@c' }]);
  assert.equal(ix.sharesRoom('@a', '@b'), true);
  assert.equal(ix.sharesRoom('@a', '@c'), false);
  assert.equal(ix.apply('!r2', '@a', 'join'), true);
  assert.equal(ix.apply('!r2', '@a', 'join'), false, 'a repeated join changes nothing');
  assert.deepEqual([...ix.coMembers('@a')].sort(), ['@a', '@b', '@c']);
  assert.equal(ix.apply('!r1', '@a', 'leave'), true);
  assert.equal(ix.sharesRoom('@a', '@b'), false);
  assert.equal(ix.apply('!r1', '@a', 'ban'), false, 'leaving twice changes nothing');
  assert.equal(ix.apply('!r2', '@c', 'invite'), true, 'an invite is not a join');
  assert.deepEqual([...ix.members('!r2')], ['@a']);
  assert.deepEqual([...ix.roomsOf('@c')], []);
});
