import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdjustableClock } from '../../../src/common/clock.js';

test('AdjustableClock: advance moves now() and fires the timers that fall due, in due order', () => {
  const clock = new AdjustableClock();
  const start = clock.now();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('late'), 60_000);
  clock.setTimeout(() => fired.push('early'), 30_000);
  clock.setTimeout(() => fired.push('never'), 3_600_000);
  const cancelled = clock.setTimeout(() => fired.push('cancelled'), 10_000);
  cancelled.cancel();
  clock.advance(90_000);
  assert.deepEqual(fired, ['early', 'late']);
  assert.ok(clock.now() - start >= 90_000);
  clock.advance(0);
  clock.advance(-5);
  assert.deepEqual(fired, ['early', 'late'], 'no negative or zero moves fire anything');
});

test('AdjustableClock: a timer also fires by real time, once', async () => {
  const clock = new AdjustableClock();
  let n = 0;
  // The clock's own timers never keep a process alive: this one does, for the test.
  const keepAlive = setTimeout(() => undefined, 5_000);
  await new Promise<void>((resolve) => clock.setTimeout(() => { n++; resolve(); }, 5));
  clearTimeout(keepAlive);
  clock.advance(10_000);
  assert.equal(n, 1);
});
