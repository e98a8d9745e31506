import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/common/clock.js';
import { ServerMetrics } from '../../../src/metrics/index.js';

test('each /sync build skipped for disconnected clients is counted', async () => {
  const m = new ServerMetrics(new ManualClock(), { states: () => [] });
  const before = await m.scrape();
  assert.match(before.body, /^presenced_sync_builds_abandoned_total 0$/m);
  assert.match(before.body, /^# TYPE presenced_sync_builds_abandoned_total counter$/m);
  m.sync.abandoned();
  m.sync.abandoned();
  assert.match((await m.scrape()).body, /^presenced_sync_builds_abandoned_total 2$/m);
});
