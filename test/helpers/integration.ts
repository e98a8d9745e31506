/**
 * Shared pieces of the integration suites: one server per file, fresh users with unique
 * names, path builders, and small readers over /sync responses.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { TestClient, type Reply } from './client.js';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';

export const V3 = '/_matrix/client/v3';

let counter = 0;
/** A localpart no other test in the process uses. */
export function uniqueName(prefix = 'u'): string {
  counter += 1;
  return `${prefix}${counter}_${process.pid}`;
}

/**
 * Starts one server before the file's tests and stops it after. `ctx.server` is set
 * once `before` has run, so read it inside tests only.
 */
export function useServer(opts: TestServerOptions = {}): { readonly server: TestServer; readonly url: string; user(prefix?: string): Promise<TestClient> } {
  let srv: TestServer | undefined;
  before(async () => {
    srv = await startTestServer(opts);
  });
  after(async () => {
    await srv?.close();
  });
  return {
    get server() {
      assert.ok(srv, 'server not started');
      return srv;
    },
    get url() {
      assert.ok(srv, 'server not started');
      return srv.url;
    },
    async user(prefix = 'u') {
      assert.ok(srv, 'server not started');
      return new TestClient(srv.url).register(uniqueName(prefix));
    },
  };
}

export const enc = encodeURIComponent;

/** `/_matrix/client/v3/rooms/{roomId}/...rest` with every part encoded. */
export function roomPath(roomId: string, ...rest: string[]): string {
  return `${V3}/rooms/${[roomId, ...rest].map(enc).join('/')}`;
}

/** Asserts a Matrix error reply: status and errcode, and that `error` is a string. */
export function assertError(res: Reply, status: number, errcode: string): void {
  assert.equal(res.status, status, `expected ${status} ${errcode}, got ${res.status} ${JSON.stringify(res.body)}`);
  assert.equal(res.body?.errcode, errcode, `expected ${errcode}, got ${JSON.stringify(res.body)}`);
  assert.equal(typeof res.body.error, 'string', 'error message must be a string');
}

export function assertOk(res: Reply, what = 'request'): any {
  assert.equal(res.status, 200, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Sync and assert 200; returns the body. */
export async function syncOk(c: TestClient, params: Record<string, string | number> = {}): Promise<any> {
  return assertOk(await c.sync(params), 'sync');
}

/** The joined-room section of a sync body for roomId, or undefined. */
export function joinedRoom(sync: any, roomId: string): any {
  return sync?.rooms?.join?.[roomId];
}

export function timelineOf(sync: any, roomId: string): any[] {
  return joinedRoom(sync, roomId)?.timeline?.events ?? [];
}

/** Creates a room, invites and joins the others; returns its id. */
export async function sharedRoom(owner: TestClient, others: TestClient[], body: Record<string, unknown> = {}): Promise<string> {
  const roomId = await owner.createRoom({ ...body, invite: others.map((o) => o.userId) });
  for (const o of others) await o.join(roomId);
  return roomId;
}

/** The current state event of a room, in event format. */
export async function stateEvent(c: TestClient, roomId: string, type: string, stateKey = ''): Promise<any> {
  return assertOk(await c.get(`${roomPath(roomId, 'state', type, stateKey)}?format=event`), `state ${type}`);
}
