import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addToListMap, removeFromListMap } from '../../../src/common/listMap.js';

test('list map: add says when a list became non-empty, remove says when it became empty', () => {
  const m = new Map<string, number[]>();
  assert.equal(addToListMap(m, 'a', 1), true);
  assert.equal(addToListMap(m, 'a', 2), false);
  assert.equal(removeFromListMap(m, 'a', 3), false, 'not in the list');
  assert.equal(removeFromListMap(m, 'b', 1), false, 'no such key');
  assert.equal(removeFromListMap(m, 'a', 1), false);
  assert.deepEqual(m.get('a'), [2]);
  assert.equal(removeFromListMap(m, 'a', 2), true);
  assert.equal(removeFromListMap(m, 'a', 2), false, 'already gone');
});

test('list map: an emptied list stays under its key and is filled again in place', () => {
  // Re-setting the key on every request is what made the map churn (listMap.ts).
  const m = new Map<string, string[]>();
  addToListMap(m, 'u', 'w1');
  const list = m.get('u');
  removeFromListMap(m, 'u', 'w1');
  assert.equal(m.size, 1);
  assert.equal(m.get('u'), list);
  assert.deepEqual(list, []);
  assert.equal(addToListMap(m, 'u', 'w2'), true, 'an emptied list counts as empty again');
  assert.equal(m.get('u'), list);
  assert.deepEqual(list, ['w2']);
});
