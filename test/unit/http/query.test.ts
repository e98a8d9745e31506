import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryParser } from '../../../src/http/query.js';

describe('query string parser', () => {
  const q = new QueryParser();

  test('decodes keys and values, + as space, empty values and bare keys', () => {
    assert.deepEqual({ ...q.parse('since=s1_2&timeout=30000&x=a+b%20c&empty=&bare') }, { since: 's1_2', timeout: '30000', x: 'a b c', empty: '', bare: '' });
  });

  test('a repeated key becomes an array', () => {
    assert.deepEqual({ ...q.parse('a=1&a=2&a=3') }, { a: ['1', '2', '3'] });
  });

  test('a malformed escape is kept as sent instead of throwing', () => {
    assert.deepEqual({ ...q.parse('f=%E0%A4%A&g=%zz') }, { f: '%E0%A4%A', g: '%zz' });
  });

  test('has no prototype, so __proto__ is an ordinary key', () => {
    const out = q.parse('__proto__=x&constructor=y');
    assert.equal(Object.getPrototypeOf(out), null);
    assert.equal(out.__proto__, 'x');
    assert.equal(out.constructor, 'y');
  });

  test('long values decode the same when remembered', () => {
    const filter = JSON.stringify({ room: { rooms: [] }, presence: { types: ['m.presence'] }, pad: 'x'.repeat(80) });
    const qs = `filter=${encodeURIComponent(filter)}&since=s1`;
    assert.equal(q.parse(qs).filter, filter);
    assert.equal(q.parse(`${qs}2`).filter, filter);
    assert.equal(q.parse(`${qs}2`).since, 's12');
  });
});
