import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstAbove } from '../../../src/common/sorted.js';

test('firstAbove finds the first element above x, past equal ones', () => {
  const a = [2, 4, 4, 7];
  assert.equal(firstAbove(a, 1), 0);
  assert.equal(firstAbove(a, 4), 3);
  assert.equal(firstAbove(a, 5), 3);
  assert.equal(firstAbove(a, 7), 4);
  assert.equal(firstAbove([], 3), 0);
});
