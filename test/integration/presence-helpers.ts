/**
 * Shared pieces of the presence integration suites (presence-*.test.ts): paths, readers
 * over /sync presence sections, second logins, and a way to park a long-poll on a
 * ManualClock and tell whether it was woken, without any real wait.
 */
import assert from 'node:assert/strict';
import { TestClient, type Reply } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';
import type { Notifier } from '../../src/sync/notifier.js';
import { V3, assertOk, enc, syncOk } from '../helpers/integration.js';

export const UNSTABLE = '/_matrix/client/unstable/org.presenced';

export const statusPath = (userId: string) => `${V3}/presence/${enc(userId)}/status`;

export function putStatus(c: TestClient, presence: unknown, statusMsg?: unknown): Promise<Reply> {
  const body: Record<string, unknown> = { presence };
  if (statusMsg !== undefined) body.status_msg = statusMsg;
  return c.put(statusPath(c.userId), body);
}

export async function putStatusOk(c: TestClient, presence: string, statusMsg?: string | null): Promise<void> {
  assert.deepEqual(assertOk(await putStatus(c, presence, statusMsg), `PUT presence ${presence}`), {});
}

/** GET /presence/{target}/status as viewer, asserting 200. */
export async function getStatus(viewer: TestClient, target: TestClient | string): Promise<any> {
  const id = typeof target === 'string' ? target : target.userId;
  return assertOk(await viewer.get(statusPath(id)), `GET presence of ${id}`);
}

export async function selfDetail(c: TestClient): Promise<any> {
  return assertOk(await c.get(`${UNSTABLE}/presence`), 'GET own presence detail');
}

export async function setDeviceState(c: TestClient, state: string): Promise<void> {
  assert.deepEqual(assertOk(await c.put(`${UNSTABLE}/presence/device`, { state }), `device state ${state}`), {});
}

export async function setAppearOffline(c: TestClient, on: boolean): Promise<void> {
  assert.deepEqual(assertOk(await c.put(`${UNSTABLE}/presence/appear_offline`, { appear_offline: on }), 'appear_offline'), {});
}

/** Every m.presence event of a sync body. */
export function presenceEvents(sync: any): any[] {
  const evs: any[] = sync?.presence?.events ?? [];
  for (const e of evs) assert.equal(e.type, 'm.presence');
  return evs;
}

/** The m.presence content for userId in a sync body (asserting at most one), or undefined. */
export function presenceIn(sync: any, user: TestClient | string): any {
  const id = typeof user === 'string' ? user : user.userId;
  const evs = presenceEvents(sync).filter((e) => e.sender === id);
  assert.ok(evs.length <= 1, `${id} appears ${evs.length} times: ${JSON.stringify(evs)}`);
  return evs[0]?.content;
}

export function sendersIn(sync: any): string[] {
  return presenceEvents(sync).map((e) => e.sender).sort();
}

/** Logs the user in again: a second device with its own token. */
export function secondLogin(url: string, u: TestClient, deviceId?: string): Promise<TestClient> {
  return TestClient.login(url, u.userId, 'correct horse', deviceId);
}

/** A zero-timeout sync; returns its body. Keeps the device connected without waiting. */
export function syncNow(c: TestClient, params: Record<string, string | number> = {}): Promise<any> {
  return syncOk(c, { timeout: 0, ...params });
}

/** The notifier the server's long-polls park on (a private field of SyncService). */
export function notifierOf(srv: TestServer): Notifier {
  return (srv.server.deps.sync as any).notifier as Notifier;
}

/** Counts wake-ups per user from now on; stop() restores the notifier. */
export function countWakes(srv: TestServer): { of(userId: string): number; stop(): void } {
  const n = notifierOf(srv);
  const counts = new Map<string, number>();
  const original = n.wake;
  n.wake = function (userId: string) {
    counts.set(userId, (counts.get(userId) ?? 0) + 1);
    original.call(this, userId);
  };
  return {
    of: (userId) => counts.get(userId) ?? 0,
    stop: () => {
      n.wake = original;
    },
  };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Resolves once `count` long-polls of userId are parked (waiting on the clock), yielding
 * event-loop turns only: no time passes on either clock.
 */
export async function parked(srv: TestServer, userId: string, count = 1): Promise<void> {
  const waiters = (notifierOf(srv) as any).waiters as Map<string, Set<{ woken: boolean; resolve?: unknown }>>;
  for (let i = 0; i < 20_000; i++) {
    const set = waiters.get(userId);
    if (set && [...set].filter((w) => w.resolve !== undefined && !w.woken).length >= count) return;
    await turn();
  }
  throw new Error(`no parked long-poll for ${userId}`);
}

/** Starts a long-poll from `since` and resolves once it is parked on the server. */
export async function longPoll(
  srv: TestServer,
  c: TestClient,
  since: string,
  timeoutMs: number,
  extra: Record<string, string | number> = {},
): Promise<{ result: Promise<Reply>; settled(): boolean }> {
  let done = false;
  const result = c.sync({ since, timeout: timeoutMs, ...extra }).finally(() => {
    done = true;
  });
  await parked(srv, c.userId);
  return { result, settled: () => done };
}

/** Lets in-flight request handling run (an HTTP round trip) so a woken long-poll would have answered. */
export async function roundTrip(c: TestClient): Promise<void> {
  assertOk(await c.get('/_matrix/client/versions'));
  for (let i = 0; i < 50; i++) await turn();
}
