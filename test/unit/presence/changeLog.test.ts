import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeLog } from '../../../src/presence/index.js';
import { hiddenClassCount } from '../../helpers/hiddenClass.js';

test('change log hands out increasing positions and reads the entries after a token', () => {
  const log = new ChangeLog(100);
  assert.equal(log.append({ userId: '@a', scope: 'all' }), 101);
  assert.equal(log.append({ userId: '@b', scope: 'self' }), 102);
  assert.equal(log.append({ userId: '@c', scope: 'room', roomId: '!r' }), 103);
  assert.deepEqual([...log.between(101, 103)].map((e) => e.userId), ['@b', '@c']);
  assert.deepEqual([...log.between(100, 102)].map((e) => e.userId), ['@a', '@b']);
  assert.deepEqual([...log.between(103, 103)], []);
  assert.equal(log.covers(100), true);
  assert.equal(log.covers(99), false, 'a token from before the log started needs a snapshot');
});

test('change log trims its oldest half when full, and says a token before the cut needs a snapshot', () => {
  const log = new ChangeLog(0, 4);
  for (let i = 0; i < 5; i++) log.append({ userId: `@u${i}`, scope: 'all' });
  assert.equal(log.covers(1), false);
  assert.equal(log.covers(2), true);
  assert.deepEqual([...log.between(2, 5)].map((e) => e.pos), [3, 4, 5]);
});

test('entries arriving out of order become readable only once the run below them is complete', () => {
  const log = new ChangeLog(10);
  log.insert({ pos: 12, userId: '@b', scope: 'all' });
  assert.equal(log.position(), 10, 'position 11 is still in flight');
  assert.equal(log.stalled(), true);
  log.insert({ pos: 11, userId: '@a', scope: 'all' });
  assert.equal(log.position(), 12);
  assert.deepEqual([...log.between(10, 12)].map((e) => e.userId), ['@a', '@b']);
  log.insert({ pos: 14, userId: '@d', scope: 'all' });
  log.advanceTo(13);
  assert.equal(log.position(), 14, 'a catch-up past a lost position lets the run continue');
  assert.equal(log.stalled(), false);
});

test('log entries of one scope share one hidden class, however many are kept', () => {
  const log = new ChangeLog(0);
  for (let i = 0; i < 300; i++) log.append({ userId: `@u${i}:hs`, scope: 'all' });
  for (let i = 0; i < 300; i++) log.append({ userId: `@u${i}:hs`, scope: 'room', roomId: `!r${i}:hs` });
  const all = [...log.between(0, 300)];
  const room = [...log.between(300, 600)];
  assert.equal(all.length + room.length, 600);
  assert.equal(hiddenClassCount(all), 1);
  assert.equal(hiddenClassCount(room), 1);
});
