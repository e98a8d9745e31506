import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Api, ApiError, type SyncBody, type SyncPresence } from '../../../web/src/api.js';
import { SYNC_FILTER, SyncLoop } from '../../../web/src/syncLoop.js';

type SyncParams = { since: string | null; timeoutMs: number; setPresence: SyncPresence; filter: string };

/** A scripted /sync: each call takes the next step (a body, an error, or 'hang' until aborted). */
function scriptedApi(steps: (SyncBody | Error | 'hang')[]) {
  const seen: SyncParams[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const api = {
    sync(p: SyncParams, signal?: AbortSignal): Promise<SyncBody> {
      seen.push(p);
      const step = steps.shift();
      if (step === undefined) {
        done();
        return new Promise((_r, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      if (step === 'hang') return new Promise((_r, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
    },
  };
  return { api, seen, finished };
}

describe('SyncLoop', () => {
  test('first sync has timeout 0, later ones long-poll from next_batch with the current set_presence', async () => {
    const { api, seen, finished } = scriptedApi([{ next_batch: 'a' }, { next_batch: 'b' }]);
    let presence: SyncPresence = 'online';
    const got: string[] = [];
    const loop = new SyncLoop(api, {
      setPresence: () => presence,
      onSync: (b) => {
        got.push(b.next_batch);
        presence = 'unavailable';
      },
      onConnected: () => {},
      onLoggedOut: () => assert.fail('not logged out'),
      timeoutMs: 30_000,
    });
    void loop.start();
    await finished;
    loop.stop();
    assert.deepEqual(got, ['a', 'b']);
    assert.deepEqual(seen.map((s) => [s.since, s.timeoutMs, s.setPresence]), [[null, 0, 'online'], ['a', 30_000, 'unavailable'], ['b', 30_000, 'unavailable']]);
    assert.equal(seen[0].filter, SYNC_FILTER);
  });

  test('restart abandons the request in flight and asks again from the same token at once', async () => {
    const { api, seen, finished } = scriptedApi([{ next_batch: 'a' }, 'hang', { next_batch: 'b' }]);
    const errors: boolean[] = [];
    const loop = new SyncLoop(api, { setPresence: () => 'online', onSync: () => {}, onConnected: (ok) => errors.push(ok), onLoggedOut: () => {} });
    void loop.start();
    while (seen.length < 2) await new Promise((r) => setImmediate(r));
    loop.restart();
    await finished;
    loop.stop();
    assert.deepEqual(seen.map((s) => s.since), [null, 'a', 'a', 'b']);
    assert.ok(!errors.includes(false), 'a restart is not a connection failure');
  });

  test('errors back off and report the connection down; a 401 ends the loop as logged out', async () => {
    const waits: number[] = [];
    const { api, seen } = scriptedApi([new Error('net'), new Error('net'), { next_batch: 'a' }, new ApiError(401, 'M_UNKNOWN_TOKEN', 'gone')]);
    const conn: boolean[] = [];
    let loggedOut!: () => void;
    const out = new Promise<void>((r) => (loggedOut = r));
    const loop = new SyncLoop(api, {
      setPresence: () => 'online',
      onSync: () => {},
      onConnected: (ok) => conn.push(ok),
      onLoggedOut: () => loggedOut(),
      wait: async (ms) => void waits.push(ms),
    });
    void loop.start();
    await out;
    assert.deepEqual(waits, [1000, 2000]);
    assert.deepEqual(conn, [false, false, true]);
    assert.equal(seen.length, 4);
  });

  test('a throwing onSync does not stop the loop or count as a network failure', async () => {
    const { api, finished } = scriptedApi([{ next_batch: 'a' }, { next_batch: 'b' }]);
    const conn: boolean[] = [];
    const orig = console.error;
    console.error = () => {};
    try {
      const loop = new SyncLoop(api, { setPresence: () => 'online', onSync: () => { throw new Error('render bug'); }, onConnected: (ok) => conn.push(ok), onLoggedOut: () => {} });
      void loop.start();
      await finished;
      loop.stop();
      assert.equal(loop.since, 'b');
      assert.deepEqual(conn, [true, true]);
    } finally {
      console.error = orig;
    }
  });
});

function fakeFetch(replies: { status: number; body: unknown }[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fn = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const r = replies.shift()!;
    return new Response(JSON.stringify(r.body), { status: r.status });
  };
  return { fn, calls };
}

describe('Api', () => {
  test('register follows the UIA session with m.login.dummy and keeps the session', async () => {
    const f = fakeFetch([
      { status: 401, body: { session: 'S1', flows: [{ stages: ['m.login.dummy'] }] } },
      { status: 200, body: { user_id: '@a:hs', device_id: 'D', access_token: 'T' } },
    ]);
    const api = new Api('http://hs', f.fn);
    const s = await api.register('a', 'pw');
    assert.deepEqual(s, { userId: '@a:hs', deviceId: 'D', accessToken: 'T' });
    assert.deepEqual(JSON.parse(String(f.calls[1].init.body)).auth, { type: 'm.login.dummy', session: 'S1' });
  });

  test('requests carry the token; errors become ApiError with the errcode', async () => {
    const f = fakeFetch([{ status: 403, body: { errcode: 'M_FORBIDDEN', error: 'no' } }]);
    const api = new Api('', f.fn);
    api.session = { userId: '@a:hs', deviceId: 'D', accessToken: 'T' };
    await assert.rejects(api.setAppearOffline(true), (e: unknown) => e instanceof ApiError && e.errcode === 'M_FORBIDDEN' && e.status === 403);
    assert.equal((f.calls[0].init.headers as Record<string, string>).authorization, 'Bearer T');
    assert.equal(f.calls[0].url, '/_matrix/client/unstable/org.presenced/presence/appear_offline');
    assert.deepEqual(JSON.parse(String(f.calls[0].init.body)), { appear_offline: true });
  });

  test('429 is retried after retry_after_ms', async () => {
    const f = fakeFetch([{ status: 429, body: { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 700 } }, { status: 200, body: {} }]);
    const waits: number[] = [];
    const api = new Api('', f.fn, async (ms) => void waits.push(ms));
    await api.setDeviceState('idle');
    assert.deepEqual(waits, [700]);
    assert.equal(f.calls.length, 2);
  });

  test('sync and status encode their parameters', async () => {
    const f = fakeFetch([{ status: 200, body: { next_batch: 'x' } }, { status: 200, body: {} }]);
    const api = new Api('', f.fn);
    api.session = { userId: '@a b:hs', deviceId: 'D', accessToken: 'T' };
    await api.sync({ since: 's1', timeoutMs: 30000, setPresence: 'unavailable', filter: '{}' });
    const q = new URL(f.calls[0].url, 'http://x').searchParams;
    assert.equal(q.get('set_presence'), 'unavailable');
    assert.equal(q.get('since'), 's1');
    assert.equal(q.get('timeout'), '30000');
    await api.setStatus('hidden', 'x');
    assert.equal(f.calls[1].url, '/_matrix/client/v3/presence/%40a%20b%3Ahs/status');
    assert.deepEqual(JSON.parse(String(f.calls[1].init.body)), { presence: 'hidden', status_msg: 'x' });
  });
});
