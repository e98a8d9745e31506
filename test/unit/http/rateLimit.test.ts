import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/common/clock.js';
import { MatrixError } from '../../../src/common/errors.js';
import { LocalRateLimiter } from '../../../src/http/index.js';

test('a token bucket allows the burst, then answers 429 M_LIMIT_EXCEEDED with retry_after_ms, and refills over time', () => {
  const clock = new ManualClock();
  const rl = new LocalRateLimiter(clock, { perSecond: 2, burst: 3 });
  for (let i = 0; i < 3; i++) rl.takeNow('u');
  let err: MatrixError | undefined;
  try {
    rl.takeNow('u');
  } catch (e) {
    err = e as MatrixError;
  }
  assert.ok(err);
  assert.equal(err.status, 429);
  assert.equal(err.errcode, 'M_LIMIT_EXCEEDED');
  assert.equal(err.toJSON().retry_after_ms, 500);
  rl.takeNow('other'); // buckets are per key
  clock.advance(500);
  rl.takeNow('u');
  assert.throws(() => rl.takeNow('u'), MatrixError);
});
