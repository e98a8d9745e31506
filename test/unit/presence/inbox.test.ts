import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Inboxes } from '../../../src/presence/inbox.js';

test('only opened viewers record, and only changes above the position they opened at', () => {
  const box = new Inboxes();
  box.open('@v:x', 10);
  box.record(10, '@old:x', ['@v:x']);
  box.record(11, '@a:x', ['@v:x', '@w:x']);
  box.record(12, '@b:x', ['@w:x']);
  box.record(13, '@c:x', new Set(['@v:x']));
  assert.deepEqual(box.read('@v:x', 10, 13), ['@a:x', '@c:x']);
  assert.equal(box.read('@w:x', 10, 13), null, 'never opened: the caller reads the log');
  assert.equal(box.size(), 1);
});

test('a read gives since < pos <= to, and a token older than the inbox gets null', () => {
  const box = new Inboxes();
  box.open('@v:x', 5);
  for (let p = 6; p <= 10; p++) box.record(p, `@u${p}:x`, ['@v:x']);
  assert.deepEqual(box.read('@v:x', 7, 9), ['@u8:x', '@u9:x']);
  assert.deepEqual(box.read('@v:x', 10, 10), []);
  assert.deepEqual(box.read('@v:x', 5, 6), ['@u6:x']);
  assert.equal(box.read('@v:x', 4, 10), null);
});

test('past its cap an inbox drops its older half and no longer answers for tokens before what it kept', () => {
  const box = new Inboxes(4);
  box.open('@v:x', 0);
  for (let p = 1; p <= 5; p++) box.record(p, `@u${p}:x`, ['@v:x']);
  // 1..4 filled it; 5 dropped 1 and 2.
  assert.equal(box.read('@v:x', 1, 5), null);
  assert.deepEqual(box.read('@v:x', 2, 5), ['@u3:x', '@u4:x', '@u5:x']);
});

test('a position that arrives out of order is kept in order', () => {
  const box = new Inboxes();
  box.open('@v:x', 0);
  box.record(1, '@a:x', ['@v:x']);
  box.record(3, '@c:x', ['@v:x']);
  box.record(2, '@b:x', ['@v:x']);
  assert.deepEqual(box.read('@v:x', 0, 3), ['@a:x', '@b:x', '@c:x']);
  assert.deepEqual(box.read('@v:x', 1, 2), ['@b:x']);
});
