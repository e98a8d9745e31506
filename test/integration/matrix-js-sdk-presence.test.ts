/**
 * Issue 3's real-client test: two matrix-js-sdk clients with running sync loops. Client A
 * watches client B through UserEvent.Presence on B's User object and sees online, then
 * unavailable, a new status message, appear-offline, then offline once B stops its client.
 * Every time, User.presence, lastActiveAgo, currentlyActive and presenceStatusMsg hold
 * what the server sent.
 *
 * The server runs on a ManualClock with the default presence timers (idle 5 min,
 * currently_active 60 s, drop 30 s after the last sync ended); the test moves that clock to
 * cause idle and offline. Only the SDK runs on real timers (its sync loop), so the real
 * waits here are for the SDK to observe what the server sent, each bounded by WAIT_MS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import {
  ClientEvent, createClient, Method, SyncState, UserEvent,
  type MatrixClient, type MatrixEvent, type User,
} from 'matrix-js-sdk';
import { logger as sdkGlobalLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';
import { ManualClock } from '../../src/common/clock.js';
import { TestClient } from '../helpers/client.js';
import { sharedRoom, uniqueName } from '../helpers/integration.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { parked, selfDetail } from './presence-helpers.js';

const WAIT_MS = 8_000;

/** The defaults, which the server below runs with. */
const IDLE = 5 * 60_000;
const DROP = 30_000;
const GRANULARITY = 60_000;

const clock = new ManualClock();

const quiet: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild: () => quiet,
};
// Some SDK modules log through the global logger rather than the client's.
(sdkGlobalLogger as unknown as { setLevel?(level: string): void }).setLevel?.('silent');

/**
 * The SDK arms a request-timeout timer (pollTimeout + 80 s for /sync, 50 s for others) per
 * request and never clears it, so after the test the process would idle for up to ~2
 * minutes. Those long timers, and only those, must not keep this test process alive.
 */
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((fn: (...args: any[]) => void, ms?: number, ...args: any[]) => {
  const t = realSetTimeout(fn, ms, ...args);
  if ((ms ?? 0) >= 50_000) t.unref();
  return t;
}) as typeof setTimeout;

let srv: TestServer;
const sockets = new Set<Socket>();
const clients: MatrixClient[] = [];

before(async () => {
  srv = await startTestServer({ clock });
  const { idleTimeoutMs, syncOnlineTimeoutMs, lastActiveGranularityMs } = srv.config.presence;
  assert.deepEqual([idleTimeoutMs, syncOnlineTimeoutMs, lastActiveGranularityMs], [IDLE, DROP, GRANULARITY], 'default presence timers');
  srv.server.app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
});

after(async () => {
  for (const c of clients) c.stopClient();
  // The client's fetch pool leaves connections open that never carried a request (0 bytes
  // read); Node's HTTP server does not count them as idle, so close() would wait ~72 s
  // for them. Reported; the server itself should not wait on such sockets.
  for (const s of sockets) s.destroy();
  await srv?.close();
});

async function sdkClient(session: TestClient): Promise<MatrixClient> {
  const client = createClient({
    baseUrl: srv.url,
    userId: session.userId,
    deviceId: session.deviceId,
    accessToken: session.accessToken,
    logger: quiet,
  });
  clients.push(client);
  const prepared = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${session.userId}: no first sync`)), WAIT_MS);
    const onSync = (state: SyncState) => {
      if (state === SyncState.Error) reject(new Error(`${session.userId}: sync error`));
      if (state !== SyncState.Prepared) return;
      clearTimeout(timer);
      client.off(ClientEvent.Sync, onSync);
      resolve();
    };
    client.on(ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 1 });
  await prepared;
  return client;
}

/** What A's User object for B held when UserEvent.Presence fired, and the event's content. */
interface Seen {
  content: Record<string, unknown>;
  presence: string;
  lastActiveAgo: number | undefined;
  currentlyActive: boolean | undefined;
  presenceStatusMsg: string | undefined;
}

/** Records every UserEvent.Presence of one User and waits for the next one matching. */
function watch(user: User) {
  const seen: Seen[] = [];
  let waiter: { match: (s: Seen) => boolean; resolve: (s: Seen) => void } | undefined;
  let cursor = 0;
  user.on(UserEvent.Presence, (event: MatrixEvent | undefined, u: User) => {
    const s: Seen = {
      content: { ...(event?.getContent() ?? {}) },
      presence: u.presence,
      lastActiveAgo: u.lastActiveAgo,
      currentlyActive: u.currentlyActive,
      presenceStatusMsg: u.presenceStatusMsg,
    };
    seen.push(s);
    if (waiter?.match(s)) {
      cursor = seen.length;
      waiter.resolve(s);
      waiter = undefined;
    }
  });
  return {
    seen,
    /** The next emission (after the last one returned) that matches; rejects after WAIT_MS. */
    next(match: (s: Seen) => boolean, what: string): Promise<Seen> {
      for (let i = cursor; i < seen.length; i++) {
        if (match(seen[i])) {
          cursor = i + 1;
          return Promise.resolve(seen[i]);
        }
      }
      cursor = seen.length;
      return new Promise<Seen>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`timed out waiting for ${what}; saw ${JSON.stringify(seen.map((s) => s.content))}`));
        }, WAIT_MS);
        waiter = {
          match,
          resolve: (s) => {
            clearTimeout(timer);
            resolve(s);
          },
        };
      });
    },
  };
}

/**
 * Resolves once the server no longer counts a /sync of the session's device in flight. Polls
 * the unstable self-detail read (no server time passes); rejects after WAIT_MS.
 */
async function syncsEnded(session: TestClient): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const device = (await selfDetail(session)).devices.find((d: { device_id: string }) => d.device_id === session.deviceId);
    if (device && !device.syncing) return;
    if (Date.now() > deadline) throw new Error(`${session.userId}: the server still counts a /sync in flight: ${JSON.stringify(device)}`);
  }
}

/** The User fields hold exactly what the event carried (the SDK keeps an old status_msg when none is sent). */
function assertHoldsServerValues(s: Seen, previousMsg: string | undefined): void {
  assert.equal(s.presence, s.content.presence);
  assert.equal(s.lastActiveAgo, s.content.last_active_ago);
  assert.equal(s.currentlyActive, s.content.currently_active);
  assert.equal(s.presenceStatusMsg, (s.content.status_msg as string | undefined) ?? previousMsg);
}

test('matrix-js-sdk client A follows client B: online, unavailable, status message, appear-offline, offline', async () => {
  const a = await new TestClient(srv.url).register(uniqueName('sdkpa'));
  const b = await new TestClient(srv.url).register(uniqueName('sdkpb'));
  const roomId = await sharedRoom(a, [b]);
  // The setup's activity settles: neither has a client yet, so both drop to offline.
  clock.advance(DROP);

  const clientA = await sdkClient(a);
  const userB = clientA.getUser(b.userId);
  assert.ok(userB, "A's client has a User for B after its first sync");
  assert.equal(userB.presence, 'offline', 'B has no client yet');
  const watcher = watch(userB);

  // Online: B's client starts syncing, and B talks (activity).
  const clientB = await sdkClient(b);
  await clientB.sendTextMessage(roomId, 'hello from B');
  assertHoldsServerValues(await watcher.next((s) => s.presence === 'online', 'B online'), undefined);
  assert.equal(userB.presence, 'online');
  assert.equal(typeof userB.lastActiveAgo, 'number');
  const online = await clientA.getPresence(b.userId);
  assert.equal(online.presence, 'online');

  // Unavailable: idle_timeout without activity while B's client keeps syncing. B's sync loop
  // is parked in a long-poll when the clock moves, so the server counts B connected
  // throughout (no drop); that long-poll times out on the way and B's loop polls again.
  await parked(srv, b.userId);
  clock.advance(IDLE);
  const idle = await watcher.next((s) => s.presence === 'unavailable', 'B unavailable');
  assertHoldsServerValues(idle, undefined);
  assert.equal(idle.currentlyActive, undefined, 'no currently_active with unavailable');
  assert.ok(idle.lastActiveAgo! >= IDLE, String(idle.lastActiveAgo));
  assert.equal(idle.content.status_msg, undefined);

  // A new status message, set through the SDK's setPresence.
  const back = watcher.next((s) => s.presence === 'online', 'B online with a status message');
  await clientB.setPresence({ presence: 'online', status_msg: 'back in a bit' });
  const msg = await back;
  assertHoldsServerValues(msg, undefined);
  assert.equal(msg.presenceStatusMsg, 'back in a bit');
  assert.equal(msg.currentlyActive, true);
  assert.equal(msg.lastActiveAgo, 0, 'active just now: the clock has not moved since');

  // Appear offline through the unstable endpoint: A sees a bare offline.
  const hidden = watcher.next((s) => s.presence === 'offline', 'B appearing offline');
  await clientB.http.authedRequest(Method.Put, '/presence/appear_offline', undefined, { appear_offline: true }, {
    prefix: '/_matrix/client/unstable/org.presenced',
  });
  const off = await hidden;
  assert.deepEqual(off.content, { presence: 'offline' }, 'no last_active_ago, currently_active or status_msg');
  assertHoldsServerValues(off, 'back in a bit');
  assert.equal(off.lastActiveAgo, undefined);
  assert.equal(off.currentlyActive, undefined);
  const self = await clientB.getPresence(b.userId);
  assert.equal((self as unknown as Record<string, unknown>).appear_offline, true, 'B itself still sees its real state');
  assert.notEqual(self.presence, 'offline');

  // Visible again, then B's client stops: offline sync_online_timeout after its last sync ended.
  const visible = watcher.next((s) => s.presence !== 'offline', 'B visible again');
  await clientB.http.authedRequest(Method.Put, '/presence/appear_offline', undefined, { appear_offline: false }, {
    prefix: '/_matrix/client/unstable/org.presenced',
  });
  const again = await visible;
  assertHoldsServerValues(again, 'back in a bit');
  assert.equal(again.content.status_msg, 'back in a bit');

  // B's loop is in a long-poll that only a wake-up could end (the clock is frozen):
  // stopClient must abort it, and the server must see that sync end.
  await parked(srv, b.userId);
  clientB.stopClient();
  await syncsEnded(b);
  const gone = watcher.next((s) => s.presence === 'offline', 'B offline after stopClient');
  clock.advance(DROP - 1);
  assert.equal((await clientA.getPresence(b.userId)).presence, 'online', 'still online 1 ms before sync_online_timeout');
  clock.advance(1);
  const offline = await gone;
  assertHoldsServerValues(offline, 'back in a bit');
  assert.equal(typeof offline.lastActiveAgo, 'number', 'a real offline still says how long ago B was active');
  assert.ok(offline.lastActiveAgo! >= DROP, String(offline.lastActiveAgo));
  assert.equal(offline.currentlyActive, undefined);
  assert.equal(offline.content.status_msg, 'back in a bit');
  assert.equal(userB.presence, 'offline');
  assert.equal((await clientA.getPresence(b.userId)).presence, 'offline');

  for (const s of watcher.seen) assert.equal(s.presence, s.content.presence);
});
