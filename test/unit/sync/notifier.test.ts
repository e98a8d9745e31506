import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/common/clock.js';
import { Notifier } from '../../../src/sync/index.js';

test('a waiter registered before a wake resolves at once, even if the wake came before wait()', async () => {
  const n = new Notifier(new ManualClock());
  const w = n.register('@a:x');
  n.wakeAll(['@a:x']);
  assert.equal(await w.wait(30_000), true);
});

test('wakes only the users named', async () => {
  const clock = new ManualClock();
  const n = new Notifier(clock);
  const a = n.register('@a:x');
  const b = n.register('@b:x');
  const pa = a.wait(1000);
  const pb = b.wait(1000);
  n.wake('@a:x');
  assert.equal(await pa, true);
  clock.advance(1000);
  assert.equal(await pb, false);
  assert.equal(n.waitingUsers(), 0);
});

test('cancel ends a wait with false and forgets the waiter', async () => {
  const n = new Notifier(new ManualClock());
  const w = n.register('@a:x');
  const p = w.wait(60_000);
  w.cancel();
  assert.equal(await p, false);
  assert.equal(n.waitingUsers(), 0);
});
