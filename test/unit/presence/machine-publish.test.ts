/** What the machine publishes: currently_active, suppression, appear-offline, effects. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { step } from '../../../src/presence/machine.js';
import { toStored } from '../../../src/presence/stored.js';
import { emptyPresence } from '../../../src/presence/types.js';
import type { PresenceContent } from '../../../src/presence/types.js';
import {
  CFG, MIN, SEC, T0, activity, appearOffline, connected, deviceState, others, play, put, removed, self, syncEnd, syncStart, tick,
} from './helpers.js';
import type { Event } from './helpers.js';

describe('currently_active only with online, true when last activity younger than last_active_granularity', () => {
  const rows: Array<{ name: string; events: Event[]; at: number; expected: boolean | undefined }> = [
    { name: 'online, active just now', events: [connected(0)], at: 0, expected: true },
    { name: 'online, active granularity - 1 ms ago', events: [connected(0)], at: MIN - 1, expected: true },
    { name: 'online, active exactly granularity ago', events: [connected(0)], at: MIN, expected: false },
    { name: 'unavailable: field absent', events: [connected(0), [SEC, put('unavailable')]], at: SEC, expected: undefined },
    { name: 'free_for_chat: field absent', events: [connected(0), [SEC, put('free_for_chat')]], at: SEC, expected: undefined },
    { name: 'offline: field absent', events: [connected(0), [SEC, removed()]], at: SEC, expected: undefined },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const { state } = play([...row.events, [row.at, tick]]);
      assert.equal(others(state, row.at).currently_active, row.expected);
    });
  }
});

describe('while currently_active stays true, last_active moving does NOT produce changed (seed 002)', () => {
  const rows: Array<{ name: string; input: Event; changed: boolean }> = [
    { name: 'activity 10 s later', input: [10 * SEC, activity()], changed: false },
    { name: 'PUT online 30 s later', input: [30 * SEC, put('online')], changed: false },
    { name: 'activity on another device', input: [40 * SEC, activity('B')], changed: false },
    { name: 'a status_msg change is still a change', input: [10 * SEC, put('online', 'hi')], changed: true },
    { name: 'going free_for_chat is still a change', input: [10 * SEC, put('free_for_chat')], changed: true },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const { state, last } = play([connected(0), row.input]);
      assert.equal(last.changed, row.changed);
      // The value served is up to date all the same.
      assert.equal(others(state, row.input[0]).last_active_ago, 0);
    });
  }

  test('last_active moving is persisted even when not published', () => {
    const { last } = play([connected(0), [10 * SEC, activity()]]);
    assert.equal(last.persist, true);
  });
});

describe('currently_active turning false IS a change, at the wake time', () => {
  test('the wake is at last activity + granularity and the tick there publishes currently_active=false', () => {
    const first = play([connected(0), [20 * SEC, activity()]]);
    assert.equal(first.last.nextWakeAt, T0 + 20 * SEC + MIN);
    const at = first.last.nextWakeAt! - T0;
    const r = step(first.state, { kind: 'tick' }, T0 + at, CFG);
    assert.equal(r.effects.changed, true);
    assert.equal(others(r.state, at).currently_active, false);
    assert.equal(r.state.published.others.currentlyActive, false);
  });

  test('a tick before the wake changes nothing (stale ticks are harmless)', () => {
    const { state } = play([connected(0)]);
    const r = step(state, { kind: 'tick' }, T0 + 30 * SEC, CFG);
    assert.deepEqual(r.effects, { changed: false, selfChanged: false, persist: false, nextWakeAt: T0 + MIN });
  });

  test('activity after it turned false makes it true again: a change', () => {
    const { effects } = play([connected(0), [MIN, tick], [2 * MIN, activity()]]);
    assert.deepEqual(effects.map((e) => e.changed), [true, true, true]);
  });

  test('a late timer: activity after the expiry but before the tick is not a change (observers never saw false)', () => {
    const { last } = play([connected(0), [MIN + 5 * SEC, activity()]]);
    assert.equal(last.changed, false);
  });
});

describe('appear-offline: others see offline without last_active_ago/currently_active/status_msg; self sees the real state plus appear_offline', () => {
  const base: Event[] = [connected(0), [SEC, put('online', 'busy')]];
  const rows: Array<{ name: string; events: Event[]; at: number; others: PresenceContent; self: PresenceContent }> = [
    {
      name: 'PUT hidden (seed 000)',
      events: [...base, [2 * SEC, put('hidden')]], at: 2 * SEC,
      others: { presence: 'offline' },
      self: { presence: 'online', last_active_ago: SEC, currently_active: true, status_msg: 'busy', appear_offline: true },
    },
    {
      name: 'the flag endpoint (seed 004)',
      events: [...base, [2 * SEC, appearOffline(true)]], at: 2 * SEC,
      others: { presence: 'offline' },
      self: { presence: 'online', last_active_ago: SEC, currently_active: true, status_msg: 'busy', appear_offline: true },
    },
    {
      name: 'PUT hidden with a message: kept, shown only to self',
      events: [connected(0), [SEC, put('hidden', 'secret')]], at: SEC,
      others: { presence: 'offline' },
      self: { presence: 'online', last_active_ago: SEC, currently_active: true, status_msg: 'secret', appear_offline: true },
    },
    {
      name: 'the real state keeps moving underneath (idle)',
      events: [...base, [2 * SEC, put('hidden')], [6 * MIN, tick]], at: 6 * MIN,
      others: { presence: 'offline' },
      self: { presence: 'unavailable', last_active_ago: 6 * MIN - SEC, status_msg: 'busy', appear_offline: true },
    },
    {
      name: 'turned off again: others see the real state',
      events: [...base, [2 * SEC, put('hidden')], [3 * SEC, appearOffline(false)]], at: 3 * SEC,
      others: { presence: 'online', last_active_ago: 2 * SEC, currently_active: true, status_msg: 'busy' },
      self: { presence: 'online', last_active_ago: 2 * SEC, currently_active: true, status_msg: 'busy' },
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const { state } = play(row.events);
      assert.deepEqual(others(state, row.at), row.others);
      assert.deepEqual(self(state, row.at), row.self);
    });
  }

  const clearing: Array<{ name: string; input: Event[1]; cleared: boolean }> = [
    { name: 'a sync with online', input: syncStart('A', 'online'), cleared: false },
    { name: 'a sync with unavailable', input: syncStart('A', 'unavailable'), cleared: false },
    { name: 'a sync with offline', input: syncStart('A', 'offline'), cleared: false },
    { name: 'the first sync of a new device', input: syncStart('NEW', 'online'), cleared: false },
    { name: 'activity', input: activity(), cleared: false },
    { name: 'per-device state online', input: deviceState('online'), cleared: false },
    { name: 'PUT offline (keeps the user invisible)', input: put('offline'), cleared: false },
    { name: 'PUT online', input: put('online'), cleared: true },
    { name: 'PUT unavailable', input: put('unavailable'), cleared: true },
    { name: 'PUT free_for_chat', input: put('free_for_chat'), cleared: true },
  ];
  for (const row of clearing) {
    test(`syncs never clear it; ${row.name} ${row.cleared ? 'clears' : 'does not clear'} it`, () => {
      const { state } = play([connected(0), [SEC, put('hidden')], [2 * SEC, row.input]]);
      assert.equal(state.appearOffline, !row.cleared);
      assert.equal(others(state, 2 * SEC).presence === 'offline', !row.cleared);
    });
  }
});

describe('changed / selfChanged: changed is what others see, selfChanged what the user sees (implied by changed)', () => {
  const rows: Array<{ name: string; events: Event[]; changed: boolean; selfChanged: boolean }> = [
    { name: 'going online', events: [connected(0)], changed: true, selfChanged: true },
    { name: 'appear-offline on', events: [connected(0), [SEC, appearOffline(true)]], changed: true, selfChanged: true },
    { name: 'appear-offline on while already offline: self only', events: [[0, appearOffline(true)]], changed: false, selfChanged: true },
    { name: 'setting the same flag again: nothing', events: [connected(0), [SEC, appearOffline(true)], [2 * SEC, appearOffline(true)]], changed: false, selfChanged: false },
    { name: 'status_msg change while hidden: self only', events: [connected(0), [SEC, put('hidden')], [2 * SEC, put('hidden', 'x')]], changed: false, selfChanged: true },
    { name: 'going idle while hidden: self only', events: [connected(0), [SEC, put('hidden')], [6 * MIN, tick]], changed: false, selfChanged: true },
    { name: 'a second long-poll: nothing', events: [connected(0), [SEC, syncEnd()], [SEC, syncStart()]], changed: false, selfChanged: false },
    { name: 'idle: both', events: [connected(0), [5 * MIN, tick]], changed: true, selfChanged: true },
    { name: 'the device dropped: both', events: [[0, syncStart()], [0, syncEnd()], [30 * SEC, tick]], changed: true, selfChanged: true },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const { last } = play(row.events);
      assert.equal(last.changed, row.changed, 'changed');
      assert.equal(last.selfChanged, row.selfChanged, 'selfChanged');
    });
  }
});

describe('persist: the durable state changed (not /sync bookkeeping)', () => {
  const rows: Array<{ name: string; events: Event[]; persist: boolean }> = [
    { name: 'first sync adds a device', events: [connected(0)], persist: true },
    { name: 'a long-poll ending', events: [connected(0), [SEC, syncEnd()]], persist: false },
    { name: 'the next long-poll starting', events: [connected(0), [SEC, syncEnd()], [SEC, syncStart()]], persist: false },
    { name: 'activity', events: [connected(0), [SEC, activity()]], persist: true },
    { name: 'status_msg', events: [connected(0), [SEC, put('online', 'x')]], persist: true },
    { name: 'appear-offline', events: [[0, appearOffline(true)]], persist: true },
    { name: 'a tick with nothing due', events: [connected(0), [SEC, tick]], persist: false },
    { name: 'a tick that expires currently_active', events: [connected(0), [MIN, tick]], persist: true },
    { name: 'an offline /sync', events: [connected(0), [SEC, syncStart('A', 'offline')]], persist: false },
  ];
  for (const row of rows) {
    test(row.name, () => assert.equal(play(row.events).last.persist, row.persist));
  }
});

describe('nextWakeAt: earliest idle deadline, drop deadline of a device with no sync in flight, or currently_active expiry', () => {
  const rows: Array<{ name: string; events: Event[]; wake: number | null }> = [
    { name: 'nothing known', events: [[0, tick]], wake: null },
    { name: 'syncing and active: currently_active expiry first', events: [connected(0)], wake: MIN },
    { name: 'syncing, no longer currently active: the idle deadline', events: [connected(0), [MIN, tick]], wake: 5 * MIN },
    { name: 'syncing and idle: nothing pending', events: [connected(0), [5 * MIN, tick]], wake: null },
    { name: 'sync ended: the drop deadline', events: [connected(0), [MIN, tick], [2 * MIN, syncEnd()]], wake: 2 * MIN + 30 * SEC },
    { name: 'sync ended while currently active: the drop deadline comes first', events: [connected(0), [10 * SEC, syncEnd()]], wake: 40 * SEC },
    { name: 'hidden: self still has a currently_active to expire', events: [connected(0), [SEC, put('hidden')]], wake: MIN },
    { name: 'explicitly offline while syncing, not active any more', events: [connected(0), [MIN, put('offline')]], wake: null },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const { last } = play(row.events);
      assert.equal(last.nextWakeAt, row.wake === null ? null : T0 + row.wake);
    });
  }
});

describe('step is pure', () => {
  test('it never mutates its input state and gives the same answer twice', () => {
    const { state } = play([connected(0, 'A'), [SEC, put('online', 'x')], connected(2 * SEC, 'B')]);
    const before = JSON.stringify(toStored(state));
    const inputs = [activity('A'), syncEnd('B'), removed('A'), put('hidden'), appearOffline(false), tick, syncStart('C', 'unavailable')];
    for (const input of inputs) {
      const a = step(state, input, T0 + 10 * MIN, CFG);
      const b = step(state, input, T0 + 10 * MIN, CFG);
      assert.deepEqual(toStored(a.state), toStored(b.state));
      assert.deepEqual(a.effects, b.effects);
      assert.equal(JSON.stringify(toStored(state)), before, `input state mutated by ${input.kind}`);
    }
  });

  test('a fresh user starts offline with nothing published', () => {
    assert.deepEqual(others(emptyPresence(), 0), { presence: 'offline' });
  });
});
