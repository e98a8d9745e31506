import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceState } from '../../../web/src/api.js';
import { OwnPresence, type Choice } from '../../../web/src/own.js';

function setup(choice: Choice = 'online', opts: { fail?: boolean } = {}) {
  const calls: string[] = [];
  let t = 0;
  let restarts = 0;
  const errors: unknown[] = [];
  // Each call settles on a later turn, so ordering bugs would show.
  const later = (label: string) => {
    calls.push(label);
    return new Promise<void>((resolve, reject) => setImmediate(() => (opts.fail ? reject(new Error('down')) : resolve())));
  };
  const api = {
    setDeviceState: (s: DeviceState) => later(`device:${s}`),
    setStatus: (p: string, m: string | null) => later(`status:${p}:${m}`),
    setAppearOffline: (on: boolean) => later(`appear:${on}`),
  };
  const own = new OwnPresence(api, { now: () => t, heartbeatMs: 30_000, onSyncPresenceChanged: () => restarts++, onError: (e) => errors.push(e) }, choice);
  return { own, calls, errors, tick: (ms: number) => (t += ms), restarts: () => restarts };
}

describe('OwnPresence', () => {
  test('idle sets this device idle via the per-device API; activity sets it online; /sync follows', async () => {
    const s = setup();
    assert.equal(s.own.syncPresence(), 'online');
    await s.own.idleChanged(true);
    assert.equal(s.own.syncPresence(), 'unavailable');
    await s.own.idleChanged(false);
    assert.deepEqual(s.calls, ['device:idle', 'device:online']);
    assert.equal(s.own.syncPresence(), 'online');
    assert.equal(s.restarts(), 2, 'each change of set_presence restarts the long-poll');
  });

  test('calls go out in order even when issued back to back', async () => {
    const s = setup();
    const order: string[] = [];
    const p1 = s.own.idleChanged(true).then(() => order.push('idle done'));
    const p2 = s.own.idleChanged(false).then(() => order.push('online done'));
    await Promise.all([p1, p2]);
    assert.deepEqual(order, ['idle done', 'online done']);
    assert.deepEqual(s.calls, ['device:idle', 'device:online']);
  });

  test('choosing away keeps the device idle whatever the idle tracker says', async () => {
    const s = setup();
    await s.own.setChoice('away');
    await s.own.idleChanged(true);
    await s.own.idleChanged(false);
    assert.equal(s.own.activity(), null);
    assert.deepEqual(s.calls, ['device:idle']);
    assert.equal(s.own.syncPresence(), 'unavailable');
    await s.own.setChoice('online');
    assert.deepEqual(s.calls, ['device:idle', 'device:online']);
    assert.equal(s.own.syncPresence(), 'online');
  });

  test('while active, activity is reported at most once per heartbeat', async () => {
    const s = setup();
    assert.equal(s.own.activity(), null, 'the first sync already counted');
    s.tick(29_999);
    assert.equal(s.own.activity(), null);
    s.tick(1);
    await s.own.activity();
    assert.equal(s.own.activity(), null);
    assert.deepEqual(s.calls, ['device:online']);
  });

  test('no heartbeat while idle', () => {
    const s = setup();
    void s.own.idleChanged(true);
    s.tick(60_000);
    assert.equal(s.own.activity(), null);
  });

  test('a status message keeps the visible state, or uses hidden while appearing offline', async () => {
    const s = setup();
    await s.own.setStatusMessage('  lunch ');
    await s.own.setAppearOffline(true);
    await s.own.setStatusMessage('secret');
    await s.own.setStatusMessage('');
    await s.own.setAppearOffline(false);
    await s.own.idleChanged(true);
    await s.own.setStatusMessage('zzz');
    assert.deepEqual(s.calls, [
      'status:online:lunch',
      'appear:true',
      'status:hidden:secret',
      'status:hidden:null',
      'appear:false',
      'device:idle',
      'status:unavailable:zzz',
    ]);
  });

  test('failures are reported and do not block later calls; the next activity retries the heartbeat', async () => {
    const s = setup('online', { fail: true });
    await s.own.idleChanged(true);
    await s.own.idleChanged(false);
    assert.equal(s.errors.length, 2);
    assert.deepEqual(s.calls, ['device:idle', 'device:online']);
    assert.notEqual(s.own.activity(), null);
  });

  test('server updates set the flag and message, except while our own calls are in flight', async () => {
    const s = setup();
    s.own.fromServer({ presence: 'online', statusMsg: 'from phone', lastActiveTs: null, currentlyActive: false, appearOffline: true });
    assert.equal(s.own.appearOffline, true);
    assert.equal(s.own.statusMsg, 'from phone');
    const p = s.own.setAppearOffline(false);
    s.own.fromServer({ presence: 'online', statusMsg: 'from phone', lastActiveTs: null, currentlyActive: false, appearOffline: true });
    assert.equal(s.own.appearOffline, false, 'a stale update does not undo the switch');
    await p;
  });
});
