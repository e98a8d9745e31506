import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { availabilityRank, isProactiveRaise, unionOf } from '../../../src/presence/union.js';
import type { DevicePresence, PresenceState } from '../../../src/presence/types.js';

const dev = (state: PresenceState, lastActiveTs: number | null): DevicePresence => ({
  state,
  lastActiveTs,
  lastSyncTs: 0,
  activeSyncs: 1,
  syncPresence: 'online',
});

describe('availability order: offline < unavailable < online < free_for_chat (seed 001)', () => {
  test('ranks are strictly increasing in that order', () => {
    const order: PresenceState[] = ['offline', 'unavailable', 'online', 'free_for_chat'];
    for (let i = 1; i < order.length; i++) {
      assert.ok(availabilityRank(order[i - 1]!) < availabilityRank(order[i]!), `${order[i - 1]} < ${order[i]}`);
    }
  });

  const rows: Array<[PresenceState, PresenceState, boolean]> = [
    ['unavailable', 'online', true],
    ['offline', 'online', true],
    ['online', 'free_for_chat', true],
    ['offline', 'free_for_chat', true],
    ['online', 'unavailable', false],
    ['online', 'online', false],
    ['free_for_chat', 'online', false],
    // unavailable means "not interacting": reaching it is never pro-active (DESIGN §1.3 list).
    ['offline', 'unavailable', false],
  ];
  for (const [from, to, expected] of rows) {
    test(`raising availability is pro-active: ${from} -> ${to} is ${expected ? '' : 'not '}pro-active`, () => {
      assert.equal(isProactiveRaise(from, to), expected);
    });
  }
});

describe('union = highest state over devices (ties: newest last_active)', () => {
  const rows: Array<{ name: string; devices: Array<[string, DevicePresence]>; state: PresenceState; by: string | null }> = [
    { name: 'no devices: offline', devices: [], state: 'offline', by: null },
    { name: 'one device decides', devices: [['A', dev('unavailable', 5)]], state: 'unavailable', by: 'A' },
    {
      name: 'online beats unavailable even when older',
      devices: [['A', dev('unavailable', 50)], ['B', dev('online', 10)]],
      state: 'online',
      by: 'B',
    },
    {
      name: 'free_for_chat beats online',
      devices: [['A', dev('online', 90)], ['B', dev('free_for_chat', 10)]],
      state: 'free_for_chat',
      by: 'B',
    },
    {
      name: 'unavailable beats an explicitly offline device',
      devices: [['A', dev('offline', 90)], ['B', dev('unavailable', null)]],
      state: 'unavailable',
      by: 'B',
    },
    {
      name: 'tie: newest last_active wins (first listed is older)',
      devices: [['A', dev('online', 10)], ['B', dev('online', 20)]],
      state: 'online',
      by: 'B',
    },
    {
      name: 'tie: newest last_active wins (first listed is newer)',
      devices: [['A', dev('online', 30)], ['B', dev('online', 20)]],
      state: 'online',
      by: 'A',
    },
    {
      name: 'tie: a device never active loses to one that was',
      devices: [['A', dev('unavailable', null)], ['B', dev('unavailable', 1)]],
      state: 'unavailable',
      by: 'B',
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const u = unionOf(new Map(row.devices));
      assert.deepEqual(u, { state: row.state, deviceId: row.by });
    });
  }
});
