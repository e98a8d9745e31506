/** Storage form and restart recovery. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { step } from '../../../src/presence/machine.js';
import { afterRestart, fromStored, toStored } from '../../../src/presence/stored.js';
import { emptyPresence } from '../../../src/presence/types.js';
import { CFG, MIN, SEC, T0, activity, connected, others, play, put, syncEnd, syncStart, tick } from './helpers.js';

describe('toStored / fromStored', () => {
  test('a round trip through JSON gives back the same state', () => {
    const { state } = play([connected(0, 'A'), [SEC, put('hidden', 'x', 'B')], [2 * SEC, activity('B')], [3 * SEC, syncStart('C', 'unavailable')]]);
    const back = fromStored(JSON.parse(JSON.stringify(toStored(state))));
    assert.deepEqual(back, state);
    assert.deepEqual(others(back, 5 * SEC), others(state, 5 * SEC));
  });

  test('the empty state round-trips', () => {
    assert.deepEqual(fromStored(toStored(emptyPresence())), emptyPresence());
  });

  const good = () => toStored(play([connected(0)]).state) as unknown as Record<string, any>;
  const bad: Array<[string, (r: Record<string, any>) => unknown]> = [
    ['not an object', () => 'x'],
    ['null', () => null],
    ['unknown version', (r) => ({ ...r, v: 2 })],
    ['statusMsg not a string', (r) => ({ ...r, statusMsg: 5 })],
    ['appearOffline missing', (r) => ({ ...r, appearOffline: undefined })],
    ['lastActiveTs not a number', (r) => ({ ...r, lastActiveTs: '1' })],
    ['devices not an array', (r) => ({ ...r, devices: {} })],
    ['device with an unknown state', (r) => ({ ...r, devices: [{ ...r.devices[0], state: 'hidden' }] })],
    ['device with negative activeSyncs', (r) => ({ ...r, devices: [{ ...r.devices[0], activeSyncs: -1 }] })],
    ['device without an id', (r) => ({ ...r, devices: [{ ...r.devices[0], deviceId: undefined }] })],
    ['device with a bad syncPresence', (r) => ({ ...r, devices: [{ ...r.devices[0], syncPresence: 'offline' }] })],
    ['published missing', (r) => ({ ...r, published: undefined })],
    ['published sig with a bad presence', (r) => ({ ...r, published: { ...r.published, self: { ...r.published.self, presence: 'away' } } })],
  ];
  for (const [name, mutate] of bad) {
    test(`fromStored rejects: ${name}`, () => {
      assert.throws(() => fromStored(mutate(good())), /invalid stored presence/);
    });
  }
});

describe('afterRestart: devices that were syncing are treated as if their connection ended at restart time', () => {
  // The server stopped at 1 min with A's long-poll in flight; it restarts at 10 min.
  const beforeCrash = () => play([connected(0, 'A')]).state;
  const restartAt = 10 * MIN;

  test('no /sync is in flight any more and the connection is seen at restart time', () => {
    const state = afterRestart(beforeCrash(), T0 + restartAt);
    assert.deepEqual(state.devices.get('A'), {
      state: 'online', lastActiveTs: T0, lastSyncTs: T0 + restartAt, activeSyncs: 0, syncPresence: 'online',
    });
  });

  test('a device that does not come back is dropped sync_online_timeout after the restart', () => {
    const state = afterRestart(beforeCrash(), T0 + restartAt);
    const early = step(state, tick, T0 + restartAt + 29 * SEC, CFG);
    assert.equal(early.state.devices.has('A'), true);
    const late = step(early.state, tick, T0 + restartAt + 30 * SEC, CFG);
    assert.equal(others(late.state, restartAt + 30 * SEC).presence, 'offline');
    assert.equal(late.effects.changed, true);
  });

  test('a device that syncs again stays, without a pro-active bump (no flicker, no fake activity)', () => {
    let state = afterRestart(beforeCrash(), T0 + restartAt);
    state = step(state, syncStart('A'), T0 + restartAt + 5 * SEC, CFG).state;
    state = step(state, tick, T0 + restartAt + 10 * MIN, CFG).state;
    assert.equal(state.devices.has('A'), true);
    assert.equal(state.lastActiveTs, T0);
  });

  test('every stored device gets the grace, since /sync bookkeeping is not persisted on each long-poll', () => {
    // Stored while between two long-polls (activeSyncs 0, an old lastSyncTs).
    const state = afterRestart(play([connected(0, 'A'), [SEC, syncEnd('A')]]).state, T0 + restartAt);
    assert.equal(state.devices.get('A')?.lastSyncTs, T0 + restartAt);
  });

  test('nothing else changes', () => {
    const before = play([connected(0, 'A'), [SEC, put('online', 'hi')]]).state;
    const after = afterRestart(before, T0 + restartAt);
    assert.equal(after.statusMsg, 'hi');
    assert.deepEqual(after.published, before.published);
  });
});
