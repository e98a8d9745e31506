import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuildGate } from '../../../src/sync/buildGate.js';

/** A clock that moves only when a build says how long it took, and a turn queue run by hand. */
function harness(sliceMs = 10, maxActive = 64) {
  let t = 0;
  const turns: (() => void)[] = [];
  const gate = new BuildGate({ sliceMs, maxActive, now: () => t, nextTurn: (fn) => void turns.push(fn) });
  const ran: string[] = [];
  const build = (name: string, ms: number) => async () => {
    ran.push(name);
    t += ms;
    return name;
  };
  const nextTurn = async () => {
    const due = turns.splice(0);
    for (const fn of due) fn();
    // Let the builds a turn started finish their microtasks.
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { gate, ran, build, nextTurn, turns };
}

test('builds start at once until the turn has spent its slice; the rest wait for the next turn', async () => {
  const h = harness(10);
  const results = ['a', 'b', 'c', 'd', 'e'].map((n) => h.gate.run(h.build(n, 4)));
  for (let i = 0; i < 20; i++) await Promise.resolve();
  // 0 + 4 + 4 = 8 ms < 10: a third build still fits; after it the turn has spent 12.
  assert.deepEqual(h.ran, ['a', 'b', 'c']);
  assert.equal(h.gate.waiting(), 2);
  await h.nextTurn();
  assert.deepEqual(h.ran, ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd', 'e']);
  assert.equal(h.gate.waiting(), 0);
});

test('a queued build goes before one that arrives later, even if the later one would fit', async () => {
  const h = harness(10);
  void h.gate.run(h.build('big', 50));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  void h.gate.run(h.build('second', 1));
  void h.gate.run(h.build('third', 1));
  assert.deepEqual(h.ran, ['big']);
  await h.nextTurn();
  assert.deepEqual(h.ran, ['big', 'second', 'third']);
});

test('at most maxActive builds are in progress; a finished one lets the next start', async () => {
  const h = harness(1000, 2);
  const holds: (() => void)[] = [];
  const held = (name: string) => () =>
    new Promise<string>((resolve) => {
      h.ran.push(name);
      holds.push(() => resolve(name));
    });
  const all = ['a', 'b', 'c'].map((n) => h.gate.run(held(n)));
  await Promise.resolve();
  assert.deepEqual(h.ran, ['a', 'b']);
  holds[0]();
  await all[0];
  for (let i = 0; i < 5; i++) await Promise.resolve();
  assert.deepEqual(h.ran, ['a', 'b', 'c']);
  holds[1]();
  holds[2]();
  assert.deepEqual(await Promise.all(all), ['a', 'b', 'c']);
});

test('a failing build rejects its caller and frees its place', async () => {
  const h = harness(1000, 1);
  const failing = h.gate.run(async () => {
    throw new Error('storage gone');
  });
  const next = h.gate.run(h.build('after', 1));
  await assert.rejects(failing, /storage gone/);
  assert.equal(await next, 'after');
});

test('with the real event loop, I/O callbacks get a turn between slices of a long queue', async () => {
  let t = 0;
  const gate = new BuildGate({ sliceMs: 10, now: () => t });
  let done = 0;
  let doneWhenImmediateRan = -1;
  const builds = Array.from({ length: 40 }, () =>
    gate.run(async () => {
      // As a real build does: the work comes after its first await, so starting it costs nothing.
      await Promise.resolve();
      t += 5;
      done++;
    }),
  );
  // Queued behind the first slice: it must not have to wait for all 40 builds.
  setImmediate(() => (doneWhenImmediateRan = done));
  await Promise.all(builds);
  assert.equal(done, 40);
  assert.ok(doneWhenImmediateRan >= 2 && doneWhenImmediateRan < 40, `immediate ran after ${doneWhenImmediateRan} builds`);
});
