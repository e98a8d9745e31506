/** The per-device rules of the machine (DESIGN §1.2, §1.3), one table per rule. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceMachineConfig, PresenceState } from '../../../src/presence/types.js';
import {
  CFG, MIN, SEC, activity, connected, deviceState, play, put, removed, self, syncEnd, syncStart, tick,
} from './helpers.js';
import type { Event } from './helpers.js';

interface Row {
  name: string;
  events: Event[];
  /** Offset of the final tick and of the view. */
  at: number;
  presence: PresenceState;
  /** Expected last_active_ago in the user's own view; null = absent. Unchecked when undefined. */
  lastActiveAgo?: number | null;
  /** Device ids still known. Unchecked when undefined. */
  devices?: string[];
  cfg?: PresenceMachineConfig;
}

function table(rule: string, rows: Row[]): void {
  describe(rule, () => {
    for (const row of rows) {
      test(row.name, () => {
        const cfg = row.cfg ?? CFG;
        const { state } = play([...row.events, [row.at, tick]], cfg);
        const view = self(state, row.at, cfg);
        assert.equal(view.presence, row.presence, 'presence');
        if (row.lastActiveAgo !== undefined) assert.equal(view.last_active_ago ?? null, row.lastActiveAgo, 'last_active_ago');
        if (row.devices) assert.deepEqual([...state.devices.keys()].sort(), row.devices, 'devices');
      });
    }
  });
}

const SYNC_IS_ACTIVITY: PresenceMachineConfig = { ...CFG, syncIsActivity: true };
/** A device long-polling back to back since 0, its latest /sync starting at 2 min. */
const LONG_POLLS: Event[] = [[0, syncStart()], [SEC, syncEnd()], [SEC, syncStart()], [2 * MIN, syncEnd()], [2 * MIN, syncStart()]];

table('a device not syncing is dropped sync_online_timeout after its last sync ended unless it had activity in that window', [
  { name: 'still there just before the deadline', events: [[0, syncStart()], [1000, syncEnd()]], at: 30_999, presence: 'online', devices: ['A'] },
  { name: 'dropped at the deadline', events: [[0, syncStart()], [1000, syncEnd()]], at: 31_000, presence: 'offline', devices: [] },
  {
    name: 'activity in the window moves the deadline to 30 s after it',
    events: [[0, syncStart()], [1000, syncEnd()], [20_000, activity()]],
    at: 49_999, presence: 'online', devices: ['A'],
  },
  {
    name: '... and it is dropped then',
    events: [[0, syncStart()], [1000, syncEnd()], [20_000, activity()]],
    at: 50_000, presence: 'offline', devices: [],
  },
  { name: 'a /sync in flight is never dropped', events: [connected(0)], at: 60 * MIN, presence: 'unavailable', devices: ['A'] },
  {
    name: 'the next long-poll starting in time keeps it',
    events: [[0, syncStart()], [1000, syncEnd()], [25_000, syncStart()]],
    at: 10 * MIN, presence: 'unavailable', devices: ['A'],
  },
  {
    name: 'two syncs in flight: one ending does not start the timer',
    events: [[0, syncStart()], [0, syncStart()], [1000, syncEnd()]],
    at: 2 * MIN, presence: 'online', devices: ['A'],
  },
  {
    name: 'a presence request from a device that never syncs counts as a connection (seed 004 timer)',
    events: [[0, put('unavailable')]], at: 29_999, presence: 'unavailable', devices: ['A'],
  },
  { name: '... which ends 30 s later', events: [[0, put('unavailable')]], at: 30_000, presence: 'offline', devices: [] },
  {
    name: 'dropping a device keeps the user last_active',
    events: [[0, syncStart()], [1000, syncEnd()]], at: 31_000, presence: 'offline', lastActiveAgo: 31_000,
  },
  {
    name: 'another device keeps the user online',
    events: [[0, syncStart('A')], [1000, syncEnd('A')], connected(2000, 'B')],
    at: 40_000, presence: 'online', devices: ['B'],
  },
]);

table('idle after idle_timeout without activity -> device unavailable', [
  { name: 'online just before', events: [connected(0)], at: 5 * MIN - 1, presence: 'online' },
  { name: 'unavailable at idle_timeout', events: [connected(0)], at: 5 * MIN, presence: 'unavailable', lastActiveAgo: 5 * MIN },
  { name: 'activity restarts the idle timer', events: [connected(0), [2 * MIN, activity()]], at: 7 * MIN - 1, presence: 'online' },
  { name: '... until idle_timeout after it', events: [connected(0), [2 * MIN, activity()]], at: 7 * MIN, presence: 'unavailable' },
  { name: 'free_for_chat goes idle too', events: [connected(0), [0, put('free_for_chat')]], at: 5 * MIN, presence: 'unavailable' },
  { name: 'an explicitly offline device stays offline', events: [connected(0), [0, put('offline')]], at: 6 * MIN, presence: 'offline' },
  {
    name: 'idle is per device: an active device keeps the user online',
    events: [connected(0, 'A'), connected(0, 'B'), [4 * MIN, activity('B')]],
    at: 6 * MIN, presence: 'online',
  },
  {
    name: 'a shorter idle_timeout is honoured',
    events: [connected(0)], at: 2 * MIN, presence: 'unavailable',
    cfg: { ...CFG, idleTimeoutMs: 2 * MIN },
  },
]);

table('activity makes an unavailable device online (seed 002)', [
  { name: 'after idling', events: [connected(0), [6 * MIN, activity()]], at: 6 * MIN, presence: 'online', lastActiveAgo: 0 },
  { name: 'after PUT unavailable', events: [connected(0), [SEC, put('unavailable')], [2 * SEC, activity()]], at: 2 * SEC, presence: 'online' },
  { name: 'after sync set_presence=unavailable', events: [connected(0), [SEC, syncStart('A', 'unavailable')], [2 * SEC, activity()]], at: 2 * SEC, presence: 'online' },
  { name: 'after per-device idle', events: [connected(0), [SEC, deviceState('idle')], [2 * SEC, activity()]], at: 2 * SEC, presence: 'online' },
]);

table('activity on an offline device makes it online', [
  { name: 'a device never seen (e.g. a bot sending without syncing)', events: [[0, activity()]], at: 0, presence: 'online', lastActiveAgo: 0, devices: ['A'] },
  { name: 'a device explicitly offline', events: [connected(0), [SEC, put('offline')], [MIN, activity()]], at: MIN, presence: 'online', lastActiveAgo: 0 },
  { name: 'a device that was dropped', events: [[0, syncStart()], [0, syncEnd()], [MIN, activity()]], at: MIN, presence: 'online' },
]);

table('a bare sync is not activity unless sync_is_activity', [
  {
    name: 'default: a later long-poll does not bump last_active',
    events: LONG_POLLS,
    at: 2 * MIN, presence: 'online', lastActiveAgo: 2 * MIN,
  },
  { name: 'default: an idle device stays unavailable while syncing', events: [connected(0), [6 * MIN, syncStart()]], at: 6 * MIN, presence: 'unavailable' },
  {
    name: 'sync_is_activity: a later long-poll bumps last_active',
    events: LONG_POLLS,
    at: 2 * MIN, presence: 'online', lastActiveAgo: 0, cfg: SYNC_IS_ACTIVITY,
  },
  {
    name: 'sync_is_activity: a sync brings an idle device back online',
    events: [connected(0), [6 * MIN, syncStart()]], at: 6 * MIN, presence: 'online', cfg: SYNC_IS_ACTIVITY,
  },
  {
    name: 'sync_is_activity: set_presence=unavailable is still not activity',
    events: [[0, syncStart('A', 'unavailable')]], at: 0, presence: 'unavailable', lastActiveAgo: null, cfg: SYNC_IS_ACTIVITY,
  },
]);

table('the first sync of an offline device (set_presence=online) brings it online and bumps last_active: the user opened a client', [
  { name: 'first sync ever', events: [[5 * SEC, syncStart()]], at: 5 * SEC, presence: 'online', lastActiveAgo: 0 },
  {
    name: 'first sync after the device was dropped',
    events: [[0, syncStart()], [0, syncEnd()], [10 * MIN, syncStart()]],
    at: 10 * MIN, presence: 'online', lastActiveAgo: 0,
  },
  {
    name: 'a client switching from set_presence=unavailable to online (back to the foreground)',
    events: [[0, syncStart('A', 'unavailable')], [SEC, syncEnd('A', 'unavailable')], [MIN, syncStart('A', 'online')]],
    at: MIN, presence: 'online', lastActiveAgo: 0,
  },
  {
    name: 'not when the same client keeps syncing after PUT offline (no flicker back online)',
    events: [[0, syncStart()], [SEC, syncEnd()], [2 * SEC, put('offline')], [3 * SEC, syncStart()]],
    at: 3 * SEC, presence: 'offline',
  },
]);

table("set_presence=offline on sync doesn't mark the device online", [
  { name: 'a fresh user stays offline, no device recorded', events: [[0, syncStart('A', 'offline')]], at: 0, presence: 'offline', lastActiveAgo: null, devices: [] },
  {
    name: 'an offline /sync does not keep a device connected',
    events: [[0, syncStart()], [SEC, syncEnd()], [2 * SEC, syncStart('A', 'offline')]],
    at: 31 * SEC, presence: 'offline', devices: [],
  },
  {
    name: 'its end does not count either',
    events: [connected(0), [SEC, syncStart('A', 'offline')], [2 * SEC, syncEnd('A', 'offline')]],
    at: 10 * MIN, presence: 'unavailable', devices: ['A'],
  },
]);

table('set_presence=unavailable marks it unavailable', [
  { name: 'a fresh device, without activity', events: [[0, syncStart('A', 'unavailable')]], at: 0, presence: 'unavailable', lastActiveAgo: null },
  {
    name: 'an online device, keeping its last_active',
    events: [[0, syncStart()], [SEC, syncEnd()], [MIN, syncStart('A', 'unavailable')]],
    at: MIN, presence: 'unavailable', lastActiveAgo: MIN,
  },
  {
    name: 'on every such sync, even after activity',
    events: [[0, syncStart('A', 'unavailable')], [SEC, activity()], [2 * SEC, syncEnd('A', 'unavailable')], [3 * SEC, syncStart('A', 'unavailable')]],
    at: 3 * SEC, presence: 'unavailable',
  },
  {
    name: 'the union still shows another online device',
    events: [connected(0, 'B'), [SEC, syncStart('A', 'unavailable')]],
    at: SEC, presence: 'online',
  },
]);

table('PUT online/free_for_chat is activity', [
  { name: 'PUT online bumps last_active', events: [connected(0), [2 * MIN, put('online')]], at: 2 * MIN, presence: 'online', lastActiveAgo: 0 },
  { name: 'PUT free_for_chat bumps last_active', events: [connected(0), [2 * MIN, put('free_for_chat')]], at: 2 * MIN, presence: 'free_for_chat', lastActiveAgo: 0 },
  { name: 'PUT online from an idle device brings it back', events: [connected(0), [6 * MIN, put('online')]], at: 6 * MIN, presence: 'online' },
  { name: 'PUT unavailable is not activity', events: [connected(0), [2 * MIN, put('unavailable')]], at: 2 * MIN, presence: 'unavailable', lastActiveAgo: 2 * MIN },
  { name: 'PUT offline is not activity', events: [connected(0), [2 * MIN, put('offline')]], at: 2 * MIN, presence: 'offline', lastActiveAgo: 2 * MIN },
  { name: 'per-device online is activity (seed 004)', events: [connected(0), [2 * MIN, deviceState('online')]], at: 2 * MIN, presence: 'online', lastActiveAgo: 0 },
  { name: 'per-device idle = unavailable, not activity (seed 004)', events: [connected(0), [2 * MIN, deviceState('idle')]], at: 2 * MIN, presence: 'unavailable', lastActiveAgo: 2 * MIN },
  { name: 'per-device offline', events: [connected(0), [2 * MIN, deviceState('offline')]], at: 2 * MIN, presence: 'offline' },
]);

table('raising availability is pro-active (seed 001): raises to online or free_for_chat bump last_active', [
  { name: 'unavailable -> online by PUT', events: [connected(0), [MIN, put('unavailable')], [2 * MIN, put('online')]], at: 2 * MIN, presence: 'online', lastActiveAgo: 0 },
  { name: 'online -> free_for_chat by PUT', events: [connected(0), [MIN, put('free_for_chat')]], at: MIN, presence: 'free_for_chat', lastActiveAgo: 0 },
  { name: 'offline -> online by the first sync', events: [[MIN, syncStart()]], at: MIN, presence: 'online', lastActiveAgo: 0 },
  { name: 'offline -> unavailable is not (unavailable = not interacting)', events: [connected(0), [SEC, put('offline')], [MIN, put('unavailable')]], at: MIN, presence: 'unavailable', lastActiveAgo: MIN },
  { name: 'lowering online -> unavailable is not', events: [connected(0), [MIN, syncStart('A', 'unavailable')]], at: MIN, presence: 'unavailable', lastActiveAgo: MIN },
]);

table('removing the last device -> offline', [
  { name: 'one of two devices removed: still online', events: [connected(0, 'A'), connected(0, 'B'), [SEC, removed('A')]], at: SEC, presence: 'online', devices: ['B'] },
  { name: 'the last one removed: offline at once, last_active kept', events: [connected(0, 'A'), [SEC, removed('A')]], at: SEC, presence: 'offline', lastActiveAgo: SEC, devices: [] },
  { name: 'removing an unknown device is harmless', events: [connected(0, 'A'), [SEC, removed('Z')]], at: SEC, presence: 'online', devices: ['A'] },
]);

describe('status_msg is per user (seed 004); PUT replaces it', () => {
  const rows: Array<{ name: string; events: Event[]; statusMsg: string | undefined }> = [
    { name: 'PUT with a message sets it', events: [[0, put('online', 'lunch')]], statusMsg: 'lunch' },
    { name: 'PUT with null clears it', events: [[0, put('online', 'lunch')], [SEC, put('online', null)]], statusMsg: undefined },
    { name: 'undefined leaves it', events: [[0, put('online', 'lunch')], [SEC, put('unavailable')]], statusMsg: 'lunch' },
    { name: 'another device sees the same message', events: [[0, put('online', 'lunch', 'A')], connected(SEC, 'B'), [2 * SEC, removed('A')]], statusMsg: 'lunch' },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const { state } = play(row.events);
      assert.equal(self(state, 2 * SEC).status_msg, row.statusMsg);
    });
  }

  test('a sync-driven set_presence never clobbers status_msg', () => {
    const syncs: Event[] = [
      [SEC, syncStart('A', 'unavailable')], [2 * SEC, syncEnd('A', 'unavailable')],
      [3 * SEC, syncStart('A', 'online')], [4 * SEC, syncEnd('A', 'online')],
      [5 * SEC, syncStart('A', 'offline')], [6 * SEC, syncStart('B', 'online')],
    ];
    for (const cfg of [CFG, SYNC_IS_ACTIVITY]) {
      const { state } = play([[0, put('online', 'in a meeting')], ...syncs], cfg);
      assert.equal(state.statusMsg, 'in a meeting');
      assert.equal(self(state, 6 * SEC, cfg).status_msg, 'in a meeting');
    }
  });
});
