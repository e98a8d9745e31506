import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex } from '../../../src/common/mutex.js';

test('keyed mutex runs one task per key at a time, keys independent, failures do not block the queue', async () => {
  const m = new KeyedMutex();
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const a1 = m.run('a', async () => { order.push('a1 start'); await gate; order.push('a1 end'); });
  const a2 = m.run('a', async () => { order.push('a2'); throw new Error('boom'); });
  const a3 = m.run('a', async () => { order.push('a3'); return 3; });
  const b1 = m.run('b', async () => { order.push('b1'); });
  await b1;
  assert.deepEqual(order, ['a1 start', 'b1']);
  release();
  await a1;
  await assert.rejects(a2, /boom/);
  assert.equal(await a3, 3);
  assert.deepEqual(order, ['a1 start', 'b1', 'a1 end', 'a2', 'a3']);
});
