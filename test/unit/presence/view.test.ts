/** The wire shapes: m.presence content, GET /status body, the user's own detail. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getStatusBody, selfDetail, viewFor } from '../../../src/presence/view.js';
import { CFG, MIN, SEC, T0, activity, connected, play, put, syncEnd, syncStart } from './helpers.js';

describe('m.presence content (sync) vs GET /presence/{userId}/status body', () => {
  const rows = [
    {
      name: 'no status_msg: left out of the event, null in GET',
      events: [connected(0)] as const,
      content: { presence: 'online', last_active_ago: 5 * SEC, currently_active: true },
      body: { presence: 'online', last_active_ago: 5 * SEC, currently_active: true, status_msg: null },
    },
    {
      name: 'with status_msg: in both',
      events: [connected(0), [0, put('online', 'lunch')]] as const,
      content: { presence: 'online', last_active_ago: 5 * SEC, currently_active: true, status_msg: 'lunch' },
      body: { presence: 'online', last_active_ago: 5 * SEC, currently_active: true, status_msg: 'lunch' },
    },
    {
      name: 'offline user: last_active_ago and status_msg still shown',
      events: [[-MIN, put('unavailable', 'away')], [-MIN, activity()], [-MIN, put('offline')]] as const,
      content: { presence: 'offline', last_active_ago: MIN + 5 * SEC, status_msg: 'away' },
      body: { presence: 'offline', last_active_ago: MIN + 5 * SEC, status_msg: 'away' },
    },
    {
      name: 'appear-offline, seen by others: nothing but offline',
      events: [connected(0), [0, put('hidden', 'secret')]] as const,
      content: { presence: 'offline' },
      body: { presence: 'offline', status_msg: null },
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const { state } = play([...row.events]);
      assert.deepEqual(viewFor(state, T0 + 5 * SEC, CFG, { self: false }), row.content);
      assert.deepEqual(getStatusBody(state, T0 + 5 * SEC, CFG, { self: false }), row.body);
    });
  }

  test('appear-offline, GET by the user themself: the real state and appear_offline', () => {
    const { state } = play([connected(0), [0, put('hidden', 'secret')]]);
    assert.deepEqual(getStatusBody(state, T0 + SEC, CFG, { self: true }), {
      presence: 'online', last_active_ago: SEC, currently_active: true, status_msg: 'secret', appear_offline: true,
    });
  });

  test('last_active_ago is computed when served, from the same stored state', () => {
    const { state } = play([connected(0)]);
    assert.equal(viewFor(state, T0 + 7 * SEC, CFG, { self: false }).last_active_ago, 7 * SEC);
    assert.equal(viewFor(state, T0 + 9 * SEC, CFG, { self: false }).last_active_ago, 9 * SEC);
  });

  test('a view applies due time rules itself: a late timer never shows a stale state', () => {
    const { state } = play([[0, syncStart()], [0, syncEnd()]]);
    assert.equal(viewFor(state, T0 + 10 * SEC, CFG, { self: false }).presence, 'online');
    assert.equal(viewFor(state, T0 + 31 * SEC, CFG, { self: false }).presence, 'offline');
  });
});

describe('selfDetail: every device and the union', () => {
  test('two devices, one syncing, one idle after PUT unavailable', () => {
    const { state } = play([connected(0, 'PHONE'), [10 * SEC, syncEnd('PHONE')], connected(20 * SEC, 'DESK'), [30 * SEC, put('unavailable', 'x', 'PHONE')]]);
    assert.deepEqual(selfDetail(state, T0 + 40 * SEC, CFG), {
      presence: 'online',
      last_active_ago: 20 * SEC,
      currently_active: true,
      status_msg: 'x',
      appear_offline: false,
      decided_by: 'DESK',
      devices: [
        { device_id: 'DESK', presence: 'online', last_active_ago: 20 * SEC, syncing: true, last_sync_ago: 20 * SEC },
        { device_id: 'PHONE', presence: 'unavailable', last_active_ago: 40 * SEC, syncing: false, last_sync_ago: 10 * SEC },
      ],
    });
  });

  test('no devices', () => {
    const { state } = play([[0, put('hidden')]]);
    assert.deepEqual(selfDetail(state, T0, CFG), {
      presence: 'offline', status_msg: null, appear_offline: true, decided_by: null, devices: [],
    });
  });
});
