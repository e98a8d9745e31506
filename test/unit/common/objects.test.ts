import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withProps } from '../../../src/common/objects.js';
import { hiddenClassCount } from '../../helpers/hiddenClass.js';

test('withProps copies the source, then the extra properties over it, leaving both untouched', () => {
  const src = { a: 1, b: 'x', c: undefined };
  const extra = { b: 'y', d: [1] };
  const out = withProps(src, extra);
  assert.deepEqual(out, { a: 1, b: 'y', c: undefined, d: [1] });
  assert.deepEqual(Object.keys(out), ['a', 'b', 'c', 'd']);
  assert.deepEqual(src, { a: 1, b: 'x', c: undefined });
  assert.equal(out.d, extra.d);
});

test('objects made by withProps from one shape share one hidden class', () => {
  // On Node 20, `{ ...make(i), pos: i }` here gives about 300 classes once warmed up.
  const make = (i: number) => ({ userId: `@u${i}:hs`, scope: 'all' });
  const copied = Array.from({ length: 300 }, (_, i) => withProps(make(i), { pos: i }));
  assert.equal(hiddenClassCount(copied), 1);
});
