/** Contract: users, devices, access tokens, filters, account data, push rules. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { T0, type GetContext } from './fixtures.js';

const ALICE = '@alice:localhost';
const BOB = '@bob:localhost';

export function usersContract(get: GetContext): void {
  describe('users', () => {
    test('createUser stores a row once; a second create of the same ID reports false', async () => {
      const { users } = get();
      assert.equal(await users.createUser({ userId: ALICE, passwordHash: 'scrypt$hash', isAdmin: true, createdTs: T0 }), true);
      assert.equal(await users.createUser({ userId: ALICE, passwordHash: 'other', isAdmin: false, createdTs: T0 + 1 }), false);
      assert.deepEqual(await users.getUser(ALICE), {
        userId: ALICE, passwordHash: 'scrypt$hash', isAdmin: true, deactivated: false, displayname: null, avatarUrl: null, createdTs: T0,
      });
      assert.equal(await users.getUser(BOB), undefined);
    });

    test('password and profile fields change independently; null clears', async () => {
      const { users } = get();
      await users.createUser({ userId: ALICE, passwordHash: 'a', isAdmin: false, createdTs: T0 });
      await users.setPasswordHash(ALICE, 'b');
      await users.setProfile(ALICE, { displayname: 'Alice' });
      await users.setProfile(ALICE, { avatarUrl: 'mxc://x/y' });
      let u = await users.getUser(ALICE);
      assert.deepEqual([u?.passwordHash, u?.displayname, u?.avatarUrl], ['b', 'Alice', 'mxc://x/y']);
      await users.setProfile(ALICE, { displayname: null });
      u = await users.getUser(ALICE);
      assert.deepEqual([u?.displayname, u?.avatarUrl], [null, 'mxc://x/y']);
    });

    test('listUsers pages in user ID order', async () => {
      const { users } = get();
      for (const id of ['@c:localhost', '@a:localhost', '@d:localhost', '@b:localhost']) await users.createUser({ userId: id, passwordHash: null, isAdmin: false, createdTs: T0 });
      const first = await users.listUsers('', 2);
      assert.deepEqual(first.map((u) => u.userId), ['@a:localhost', '@b:localhost']);
      const next = await users.listUsers(first[1].userId, 10);
      assert.deepEqual(next.map((u) => u.userId), ['@c:localhost', '@d:localhost']);
      assert.equal(first[0].passwordHash, null);
    });

    test('setDeactivated marks the user and removes password, devices and tokens', async () => {
      const { users } = get();
      await users.createUser({ userId: ALICE, passwordHash: 'a', isAdmin: false, createdTs: T0 });
      await users.upsertDevice(ALICE, 'DEV', 'Phone', T0);
      await users.createToken('hash1', ALICE, 'DEV', T0);
      await users.setDeactivated(ALICE);
      const u = await users.getUser(ALICE);
      assert.deepEqual([u?.deactivated, u?.passwordHash], [true, null]);
      assert.deepEqual(await users.listDevices(ALICE), []);
      assert.equal(await users.lookupToken('hash1'), undefined);
    });
  });

  describe('devices and tokens', () => {
    test('upsertDevice creates, keeps the name when given null, renames when given one', async () => {
      const { users } = get();
      await users.upsertDevice(ALICE, 'DEV', 'Phone', T0);
      assert.deepEqual(await users.getDevice(ALICE, 'DEV'), { userId: ALICE, deviceId: 'DEV', displayName: 'Phone', lastSeenTs: T0, lastSeenIp: null });
      await users.upsertDevice(ALICE, 'DEV', null, T0 + 5);
      assert.equal((await users.getDevice(ALICE, 'DEV'))?.displayName, 'Phone');
      await users.upsertDevice(ALICE, 'DEV', 'Tablet', T0 + 6);
      assert.equal((await users.getDevice(ALICE, 'DEV'))?.displayName, 'Tablet');
      assert.equal((await users.listDevices(ALICE)).length, 1);
    });

    test('listDevices is per user and ordered by device ID; setDeviceName reports unknown devices', async () => {
      const { users } = get();
      await users.upsertDevice(ALICE, 'BBB', null, T0);
      await users.upsertDevice(ALICE, 'AAA', null, T0);
      await users.upsertDevice(BOB, 'CCC', null, T0);
      assert.deepEqual((await users.listDevices(ALICE)).map((d) => d.deviceId), ['AAA', 'BBB']);
      assert.equal(await users.setDeviceName(ALICE, 'AAA', 'Laptop'), true);
      assert.equal(await users.setDeviceName(ALICE, 'CCC', 'not hers'), false);
      assert.equal((await users.getDevice(ALICE, 'AAA'))?.displayName, 'Laptop');
      assert.equal((await users.getDevice(BOB, 'CCC'))?.displayName, null);
    });

    test('touchDevice records when and from where', async () => {
      const { users } = get();
      await users.upsertDevice(ALICE, 'DEV', null, T0);
      await users.touchDevice(ALICE, 'DEV', T0 + 1000, '10.0.0.1');
      const d = await users.getDevice(ALICE, 'DEV');
      assert.deepEqual([d?.lastSeenTs, d?.lastSeenIp], [T0 + 1000, '10.0.0.1']);
    });

    test('tokens resolve to their user and device until deleted; deleteDevice takes its tokens and to-device queue only', async () => {
      const { users, toDevice } = get();
      await users.upsertDevice(ALICE, 'ONE', null, T0);
      await users.upsertDevice(ALICE, 'TWO', null, T0);
      await users.createToken('t1', ALICE, 'ONE', T0);
      await users.createToken('t2', ALICE, 'TWO', T0);
      await users.createToken('t3', ALICE, 'TWO', T0);
      assert.deepEqual(await users.lookupToken('t1'), { userId: ALICE, deviceId: 'ONE' });
      await users.deleteToken('t3');
      assert.equal(await users.lookupToken('t3'), undefined);
      assert.deepEqual(await users.lookupToken('t2'), { userId: ALICE, deviceId: 'TWO' });

      const pos = await toDevice.addToDevice(BOB, 'm.x', [{ userId: ALICE, deviceId: 'ONE', content: {} }, { userId: ALICE, deviceId: 'TWO', content: {} }]);
      await users.deleteDevice(ALICE, 'ONE');
      assert.equal(await users.getDevice(ALICE, 'ONE'), undefined);
      assert.equal(await users.lookupToken('t1'), undefined);
      assert.deepEqual(await users.lookupToken('t2'), { userId: ALICE, deviceId: 'TWO' });
      assert.deepEqual(await toDevice.toDeviceBetween(ALICE, 'ONE', 0, pos, 10), []);
      assert.equal((await toDevice.toDeviceBetween(ALICE, 'TWO', 0, pos, 10)).length, 1);
    });
  });

  describe('filters', () => {
    test('IDs count from 0 per user; the JSON comes back as stored', async () => {
      const { users } = get();
      assert.equal(await users.createFilter(ALICE, '{"a":1}'), 0);
      assert.equal(await users.createFilter(ALICE, '{"a":2}'), 1);
      assert.equal(await users.createFilter(BOB, '{"b":1}'), 0);
      assert.equal(await users.getFilter(ALICE, 1), '{"a":2}');
      assert.equal(await users.getFilter(BOB, 0), '{"b":1}');
      assert.equal(await users.getFilter(BOB, 1), undefined);
    });
  });

  describe('account data', () => {
    test('each write gets a higher position; an overwrite moves the entry forward; rooms are kept apart', async () => {
      const { users } = get();
      const p1 = await users.putAccountData(ALICE, '', 'm.direct', { a: 1 });
      const p2 = await users.putAccountData(BOB, '', 'm.direct', { b: 1 });
      const p3 = await users.putAccountData(ALICE, '!r:localhost', 'm.tag', { tags: {} });
      const p4 = await users.putAccountData(ALICE, '', 'm.direct', { a: 2 });
      assert.ok(p1 < p2 && p2 < p3 && p3 < p4, `positions ${[p1, p2, p3, p4]}`);
      assert.deepEqual(await users.getAccountData(ALICE, '', 'm.direct'), { a: 2 });
      assert.deepEqual(await users.getAccountData(ALICE, '!r:localhost', 'm.tag'), { tags: {} });
      assert.equal(await users.getAccountData(ALICE, '', 'm.tag'), undefined);

      assert.deepEqual(await users.accountDataSince(ALICE, -1, p4), [
        { roomId: '!r:localhost', type: 'm.tag', content: { tags: {} }, streamPos: p3 },
        { roomId: '', type: 'm.direct', content: { a: 2 }, streamPos: p4 },
      ]);
      assert.deepEqual((await users.accountDataSince(ALICE, p3, p4)).map((d) => d.type), ['m.direct']);
      assert.deepEqual(await users.accountDataSince(ALICE, p1, p3 - 1), [], 'the overwritten entry left its old position');
      assert.deepEqual(await users.accountDataSince(BOB, -1, p4), [{ roomId: '', type: 'm.direct', content: { b: 1 }, streamPos: p2 }]);
    });

    test('concurrent writers get distinct positions and every write is kept', async () => {
      const { users } = get();
      const positions = await Promise.all(Array.from({ length: 20 }, (_, i) => users.putAccountData(ALICE, '', `org.example.k${i}`, { i })));
      assert.equal(new Set(positions).size, 20);
      assert.equal((await users.accountDataSince(ALICE, -1, Math.max(...positions))).length, 20);
    });
  });

  describe('push rules', () => {
    test('no document until one is stored; the latest document wins', async () => {
      const { users } = get();
      assert.equal(await users.getPushRules(ALICE), undefined);
      const doc = { rules: { room: [{ rule_id: '!r:localhost', actions: [], enabled: true }] }, defaults: { override: { '.m.rule.master': { enabled: true } } } };
      await users.putPushRules(ALICE, doc);
      assert.deepEqual(await users.getPushRules(ALICE), doc);
      await users.putPushRules(ALICE, { rules: {} });
      assert.deepEqual(await users.getPushRules(ALICE), { rules: {} });
      assert.equal(await users.getPushRules(BOB), undefined);
    });
  });
}
