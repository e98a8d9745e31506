/**
 * Issue 3 item 10: presence survives a restart; devices that were online time out as if
 * their connection had ended at the restart, unless they sync again; timers resume from
 * stored timestamps; a PUT answered 200 is durable, last_active bumps are batched.
 * The server is stopped and started again on the same data directory, each time with a
 * ManualClock; the second starts later than the first stopped.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ManualClock } from '../../src/common/clock.js';
import { TestClient } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertOk, sharedRoom, uniqueName } from '../helpers/integration.js';
import { getStatus, presenceIn, putStatusOk, syncNow } from './presence-helpers.js';

const DROP = 30_000;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function register(srv: TestServer, prefix: string): Promise<TestClient> {
  return new TestClient(srv.url).register(uniqueName(prefix));
}

/** The same session against another server instance (same database, new port). */
function reconnect(c: TestClient, srv: TestServer): TestClient {
  const n = new TestClient(srv.url);
  n.userId = c.userId;
  n.deviceId = c.deviceId;
  n.accessToken = c.accessToken;
  return n;
}

async function storedRow(srv: TestServer, userId: string): Promise<any> {
  const rows = await srv.server.storage.presence.loadPresence();
  return rows.find((r) => r.userId === userId)?.state;
}

/** Lets a write started by a timer reach the database (event-loop turns, no time passes). */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

const observe = (a: TestClient, params: Record<string, string | number> = {}) => syncNow(a, { set_presence: 'offline', ...params });

describe('presence across a restart', () => {
  test('status_msg survives; online devices time out 30 s after the restart unless they sync again', async () => {
    const clock1 = new ManualClock(1_700_000_000_000);
    const srv1 = await startTestServer({ clock: clock1 });
    dirs.push(srv1.dataDir);
    let a = await register(srv1, 'ra');
    let b1 = await register(srv1, 'rb1');
    let b2 = await register(srv1, 'rb2');
    await sharedRoom(a, [b1, b2]);
    clock1.advance(DROP);
    await syncNow(b1);
    await syncNow(b2);
    await putStatusOk(b1, 'online', 'brb');
    // Durable when acknowledged: already in the database, no timer has run.
    assert.equal((await storedRow(srv1, b1.userId))?.statusMsg, 'brb');
    const before = assertOk(await a.sync({ timeout: 0, set_presence: 'offline' }));
    const oldToken = before.next_batch;
    await srv1.close({ keepData: true });

    const restartAt = clock1.now() + 60_000;
    const clock2 = new ManualClock(restartAt);
    const srv2 = await startTestServer({ clock: clock2, dataDir: srv1.dataDir });
    try {
      a = reconnect(a, srv2);
      b1 = reconnect(b1, srv2);
      b2 = reconnect(b2, srv2);
      assert.deepEqual(await getStatus(a, b1), { presence: 'online', last_active_ago: 60_000, currently_active: false, status_msg: 'brb' });
      assert.equal((await getStatus(a, b2)).presence, 'online');

      // A token from before the restart still works: A gets the current presence.
      const resumed = await observe(a, { since: oldToken });
      assert.equal(presenceIn(resumed, b1)?.status_msg, 'brb');
      assert.equal(presenceIn(resumed, b2)?.presence, 'online');

      clock2.advance(29_000);
      await syncNow(b1); // b1's client comes back
      clock2.advance(999);
      assert.equal((await getStatus(a, b2)).presence, 'online');
      clock2.advance(1);
      assert.deepEqual(await getStatus(a, b2), { presence: 'offline', last_active_ago: 90_000, status_msg: null });
      assert.equal((await getStatus(a, b1)).presence, 'online', 'b1 synced again');
      const after1 = await observe(a, { since: resumed.next_batch });
      assert.deepEqual(presenceIn(after1, b2), { presence: 'offline', last_active_ago: 90_000 });
      assert.equal(presenceIn(after1, b1), undefined);

      clock2.advance(29_000); // 30 s after b1's last sync ended
      assert.deepEqual(await getStatus(a, b1), { presence: 'offline', last_active_ago: 119_000, status_msg: 'brb' });
      const after2 = await observe(a, { since: after1.next_batch });
      assert.equal(presenceIn(after2, b1)?.presence, 'offline');
    } finally {
      await srv2.close({ keepData: true });
    }
  });

  test('timers resume from stored timestamps: idle and currently_active count from the last activity, not the restart', async () => {
    const clock1 = new ManualClock(1_700_000_000_000);
    const srv1 = await startTestServer({ clock: clock1 });
    dirs.push(srv1.dataDir);
    let a = await register(srv1, 'ta');
    let b = await register(srv1, 'tb');
    let c = await register(srv1, 'tc');
    const roomId = await sharedRoom(a, [b, c]);
    clock1.advance(DROP);
    await syncNow(b);
    await syncNow(c);
    await b.send(roomId, 'last words'); // b active at t
    clock1.advance(10_000);
    await syncNow(b);
    await syncNow(c);
    await srv1.close({ keepData: true });

    const clock2 = new ManualClock(clock1.now() + 20_000); // b's last activity was 30 s ago
    const srv2 = await startTestServer({ clock: clock2, dataDir: srv1.dataDir });
    try {
      a = reconnect(a, srv2);
      b = reconnect(b, srv2);
      c = reconnect(c, srv2);
      const s1 = await observe(a);
      assert.deepEqual(presenceIn(s1, b), { presence: 'online', last_active_ago: 30_000, currently_active: true });
      await syncNow(b);
      clock2.advance(20_000);
      await syncNow(b);
      clock2.advance(10_000); // 60 s after b's activity
      const s2 = await observe(a, { since: s1.next_batch });
      assert.deepEqual(presenceIn(s2, b), { presence: 'online', last_active_ago: 60_000, currently_active: false });

      // Keep b connected until 5 minutes after its activity: idle then, not 5 minutes after the restart.
      for (let t = 60_000; t < 300_000; t += 20_000) {
        await syncNow(b);
        clock2.advance(20_000);
      }
      assert.deepEqual(await getStatus(a, b), { presence: 'unavailable', last_active_ago: 300_000, status_msg: null });
    } finally {
      await srv2.close({ keepData: true });
    }
  });

  test('last_active bumps are written in batches, within flushDelayMs, and on close', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const srv = await startTestServer({ clock });
    dirs.push(srv.dataDir);
    const b = await register(srv, 'fb');
    const roomId = await b.createRoom(); // activity
    const firstTs = clock.now();
    clock.advance(1_000); // first write flushed
    await turns();
    assert.equal((await storedRow(srv, b.userId))?.lastActiveTs, firstTs);
    clock.advance(5_000);
    await b.send(roomId, 'bump');
    const bumpTs = clock.now();
    assert.equal((await storedRow(srv, b.userId))?.lastActiveTs, firstTs, 'not written at once');
    clock.advance(999);
    await turns();
    assert.equal((await storedRow(srv, b.userId))?.lastActiveTs, firstTs);
    clock.advance(1);
    await turns();
    assert.equal((await storedRow(srv, b.userId))?.lastActiveTs, bumpTs, 'written by the batch');

    clock.advance(5_000);
    await b.send(roomId, 'unflushed');
    const lastTs = clock.now();
    await srv.close({ keepData: true });
    const again = await startTestServer({ clock: new ManualClock(lastTs + 1000), dataDir: srv.dataDir });
    try {
      assert.equal((await storedRow(again, b.userId))?.lastActiveTs, lastTs, 'close flushes pending bumps');
    } finally {
      await again.close({ keepData: true });
    }
  });
});
