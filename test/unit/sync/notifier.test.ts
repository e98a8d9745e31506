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

test('a wake lands after the turn of the event loop that made it, so one answer carries all of that turn', async () => {
  const n = new Notifier(new ManualClock());
  const w = n.register('@a:x');
  let woken: boolean | undefined;
  const p = w.wait(60_000).then((v) => {
    woken = v;
  });
  n.wake('@a:x');
  n.wakeAll(['@a:x', '@b:x']);
  // Everything else this turn does (other writes, their wakes) runs before the waiter resumes.
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(woken, undefined, 'not woken within the turn');
  await new Promise((r) => setImmediate(r));
  await p;
  assert.equal(woken, true);
  assert.equal(n.waitingUsers(), 0);
});

test('a user with nobody waiting is not remembered: a later waiter is not woken by an old write', async () => {
  const clock = new ManualClock();
  const n = new Notifier(clock);
  n.wake('@a:x');
  const w = n.register('@a:x');
  const p = w.wait(1000);
  await new Promise((r) => setImmediate(r));
  clock.advance(1000);
  assert.equal(await p, false, 'only the timeout ended it');
});

test('one user with several waiters: a timeout or a cancel drops only that waiter, a wake reaches the rest', async () => {
  const clock = new ManualClock();
  const n = new Notifier(clock);
  const short = n.register('@a:x');
  const cancelled = n.register('@a:x');
  const long = n.register('@a:x');
  const pShort = short.wait(1000);
  const pCancelled = cancelled.wait(60_000);
  const pLong = long.wait(60_000);
  clock.advance(1000);
  assert.equal(await pShort, false);
  cancelled.cancel();
  assert.equal(await pCancelled, false);
  assert.equal(n.waitingUsers(), 1, 'the third waiter is still parked');
  n.wake('@a:x');
  assert.equal(await pLong, true);
  assert.equal(n.waitingUsers(), 0);
  // Settled waiters stay settled: a late cancel neither throws nor touches a newer waiter.
  const next = n.register('@a:x');
  const pNext = next.wait(60_000);
  short.cancel();
  long.cancel();
  assert.equal(n.waitingUsers(), 1);
  n.wake('@a:x');
  assert.equal(await pNext, true);
});

test('a user parks, is woken, and parks again many times: each round wakes only the waiter of that round', async () => {
  const clock = new ManualClock();
  const n = new Notifier(clock);
  for (let round = 0; round < 5; round++) {
    const w = n.register('@a:x');
    const p = w.wait(60_000);
    assert.equal(n.waitingUsers(), 1, `round ${round}: parked`);
    n.wake('@a:x');
    assert.equal(await p, true, `round ${round}: woken`);
    assert.equal(n.waitingUsers(), 0, `round ${round}: nobody left parked`);
    w.cancel();
    assert.equal(n.waitingUsers(), 0, 'a cancel after the wake changes nothing');
  }
  // A wake with nobody parked is not remembered for a later waiter.
  n.wake('@a:x');
  await new Promise((r) => setImmediate(r));
  const late = n.register('@a:x');
  const pLate = late.wait(1000);
  clock.advance(1000);
  assert.equal(await pLate, false);
  assert.equal(n.waitingUsers(), 0);
});

test('a wake of many users is spread over turns of the event loop, a batch a turn, and reaches everyone', async () => {
  const clock = new ManualClock();
  const n = new Notifier(clock, 3);
  const users = Array.from({ length: 8 }, (_, i) => `@u${i}:x`);
  const woken: string[] = [];
  const done = users.map((u) => n.register(u).wait(60_000).then((v) => v && woken.push(u)));
  // Someone with nothing parked costs no slot in a batch.
  n.wakeAll(['@nobody:x', ...users]);
  const turn = () => new Promise((r) => setImmediate(r));
  await turn();
  assert.deepEqual(woken, users.slice(0, 3), 'one batch in the first turn');
  // I/O read between batches can park and be woken again in a later batch of the same wave.
  const again = n.register('@u0:x').wait(60_000);
  n.wake('@u0:x');
  await turn();
  assert.deepEqual(woken, users.slice(0, 6));
  await turn();
  await Promise.all(done);
  assert.deepEqual(woken, users);
  assert.equal(await again, true, 'the re-parked user is woken in the turn after');
  assert.equal(n.waitingUsers(), 0);
});

test('a waiter is looked up in its user\'s list once at most: cancelled parked or registered only, timed out then cancelled, or woken', async () => {
  class Counting extends Notifier {
    removes = 0;
    override remove(w: Parameters<Notifier['remove']>[0]): void {
      this.removes++;
      super.remove(w);
    }
  }
  const clock = new ManualClock();
  const n = new Counting(clock);
  const parked = n.register('@a:x');
  const p = parked.wait(60_000);
  parked.cancel();
  assert.equal(await p, false);
  assert.equal(n.removes, 1);

  n.register('@b:x').cancel();
  assert.equal(n.removes, 2);

  const woken = n.register('@c:x');
  const q = woken.wait(60_000);
  n.wake('@c:x');
  assert.equal(await q, true);
  woken.cancel();
  assert.equal(n.removes, 2, 'the wake already took it out');

  // The /sync that parked cancels its waiter after the timeout too.
  const timedOut = n.register('@d:x');
  const r = timedOut.wait(1000);
  clock.advance(1000);
  assert.equal(await r, false);
  timedOut.cancel();
  assert.equal(n.removes, 3);
  assert.equal(n.waitingUsers(), 0);
});
