/** Spec "API standards": every failure is Matrix error JSON with the right status, and nothing is a 500. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { TestClient } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';
import { V3, assertError, assertOk, enc, roomPath, uniqueName, useServer } from '../helpers/integration.js';

const ctx = useServer();
const GENEROUS = { per_second: 1000, burst: 1000 };

describe('routing and authentication errors', () => {
  test('an unknown path is 404 M_UNRECOGNIZED, with or without a token', async () => {
    const u = await ctx.user('e404');
    for (const path of [`${V3}/no/such/endpoint`, '/_matrix/client/v3/', '/_matrix/nothing', '/_matrix/client/v9/whoami']) {
      assertError(await u.get(path), 404, 'M_UNRECOGNIZED');
      assertError(await u.get(path, { token: null }), 404, 'M_UNRECOGNIZED');
    }
    assertError(await u.post(`${V3}/rooms/${enc('!a:localhost')}/frobnicate`, {}), 404, 'M_UNRECOGNIZED');
  });

  test('a known path with the wrong method is 405 M_UNRECOGNIZED', async () => {
    const u = await ctx.user('e405');
    assertError(await u.delete(`${V3}/login`), 405, 'M_UNRECOGNIZED');
    assertError(await u.post(`${V3}/account/whoami`, {}), 405, 'M_UNRECOGNIZED');
    assertError(await u.get(`${V3}/createRoom`), 405, 'M_UNRECOGNIZED');
    assertError(await u.get(roomPath('!a:localhost', 'send', 'm.room.message', 't')), 405, 'M_UNRECOGNIZED');
  });

  test('a missing token is 401 M_MISSING_TOKEN; an unknown one 401 M_UNKNOWN_TOKEN', async () => {
    const c = new TestClient(ctx.url);
    for (const [method, path] of [['GET', `${V3}/account/whoami`], ['GET', `${V3}/sync`], ['POST', `${V3}/createRoom`], ['GET', `${V3}/joined_rooms`]]) {
      assertError(await c.request(method, path, method === 'POST' ? {} : undefined, { token: null }), 401, 'M_MISSING_TOKEN');
      assertError(await c.request(method, path, method === 'POST' ? {} : undefined, { token: 'syt_not_a_real_token' }), 401, 'M_UNKNOWN_TOKEN');
    }
  });
});

describe('request body errors', () => {
  test('malformed JSON is 400 M_NOT_JSON', async () => {
    const u = await ctx.user('ejson');
    const roomId = await u.createRoom({});
    for (const [method, path] of [['POST', `${V3}/createRoom`], ['POST', `${V3}/login`], ['PUT', roomPath(roomId, 'send', 'm.room.message', 'nj')]]) {
      assertError(await u.request(method, path, undefined, { raw: '{"not": json' }), 400, 'M_NOT_JSON');
    }
  });

  test('well-formed JSON of the wrong shape is 400 M_BAD_JSON', async () => {
    const u = await ctx.user('ebad');
    const roomId = await u.createRoom({});
    assertError(await u.post(`${V3}/createRoom`, { name: 5 }), 400, 'M_BAD_JSON');
    assertError(await u.post(`${V3}/createRoom`, { invite: 'not-a-list' }), 400, 'M_BAD_JSON');
    assertError(await u.put(roomPath(roomId, 'send', 'm.room.message', 'arr'), [1, 2, 3]), 400, 'M_BAD_JSON');
    assertError(await u.put(roomPath(roomId, 'typing', u.userId), { typing: 'yes' }), 400, 'M_BAD_JSON');
    assertError(await u.post(`${V3}/login`, { type: 7 }, { token: null }), 400, 'M_BAD_JSON');
  });

  test('a body over limits.max_body_size is 413 M_TOO_LARGE', async () => {
    const small = await startTestServer({ config: { limits: { max_body_size: 2048 } } });
    try {
      const u = await new TestClient(small.url).register(uniqueName('big'));
      const roomId = await u.createRoom({});
      const res = await u.put(roomPath(roomId, 'send', 'm.room.message', 'big'), { msgtype: 'm.text', body: 'x'.repeat(4096) });
      assertError(res, 413, 'M_TOO_LARGE');
      assertOk(await u.put(roomPath(roomId, 'send', 'm.room.message', 'fits'), { msgtype: 'm.text', body: 'x'.repeat(1000) }), 'just under the limit');
    } finally {
      await small.close();
    }
  });
});

describe('rate limits', () => {
  test('login, register and send answer 429 M_LIMIT_EXCEEDED with retry_after_ms, and recover on the clock', async () => {
    const clock = new ManualClock();
    const tight = { per_second: 1, burst: 2 };
    const srv = await startTestServer({ clock, config: { rate_limits: { login: tight, register: tight, send: { per_second: 1, burst: 3 }, presence: GENEROUS } } });
    try {
      const anon = new TestClient(srv.url);
      // register: two accounts fit the burst, the third is limited.
      const a = await new TestClient(srv.url).register(uniqueName('rl'));
      const localpart = a.userId.slice(1, a.userId.indexOf(':'));
      await new TestClient(srv.url).register(uniqueName('rl'));
      const reg = await anon.post(`${V3}/register`, { username: uniqueName('rl'), password: 'pw', auth: { type: 'm.login.dummy' } }, { token: null });
      assertError(reg, 429, 'M_LIMIT_EXCEEDED');
      assert.equal(typeof reg.body.retry_after_ms, 'number');
      assert.ok(reg.body.retry_after_ms > 0, `retry_after_ms ${reg.body.retry_after_ms}`);

      const login = () => anon.post(`${V3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: 'correct horse' }, { token: null });
      assertOk(await login());
      assertOk(await login());
      const limited = await login();
      assertError(limited, 429, 'M_LIMIT_EXCEEDED');
      assert.ok(limited.body.retry_after_ms > 0 && limited.body.retry_after_ms <= 1000, `retry_after_ms ${limited.body.retry_after_ms}`);
      clock.advance(limited.body.retry_after_ms);
      assertOk(await login(), 'allowed again once retry_after_ms has passed');

      const roomId = await a.createRoom({}); // createRoom counts as a send
      await a.send(roomId, 'one');
      await a.send(roomId, 'two');
      const sendLimited = await a.put(roomPath(roomId, 'send', 'm.room.message', 'three'), { msgtype: 'm.text', body: 'three' });
      assertError(sendLimited, 429, 'M_LIMIT_EXCEEDED');
      clock.advance(sendLimited.body.retry_after_ms);
      await a.send(roomId, 'three');
    } finally {
      await srv.close();
    }
  });
});

describe('no client input produces a 500', () => {
  test('odd identifiers, tokens, parameters and bodies all get 4xx Matrix errors', async () => {
    const u = await ctx.user('fuzz');
    const roomId = await u.createRoom({});
    const cases: [string, string, unknown?, string?][] = [
      ['GET', `${V3}/rooms/not-a-room/state`],
      ['GET', `${V3}/rooms/${enc('!x:localhost')}/state`],
      ['GET', `${V3}/rooms/%00/messages?dir=b`],
      ['GET', `${roomPath(roomId, 'messages')}?dir=b&from=`],
      ['GET', `${roomPath(roomId, 'messages')}?dir=b&from=t99999999999999999999`],
      ['GET', `${roomPath(roomId, 'messages')}?dir=b&limit=99999999999`],
      ['GET', `${roomPath(roomId, 'event', '%24')}`],
      ['GET', `${roomPath(roomId, 'context', '$x')}`],
      ['GET', `${V3}/sync?since=s`],
      ['GET', `${V3}/sync?since=s1_2_3_4_5_6_7_8_9`],
      ['GET', `${V3}/sync?since=s-1`],
      ['GET', `${V3}/sync?timeout=99999999999999`],
      ['GET', `${V3}/sync?filter=${enc('[]')}`],
      ['GET', `${V3}/sync?filter=${enc('{"room":{"timeline":{"limit":1e309}}}')}`],
      ['GET', `${V3}/profile/${enc('@:')}`],
      ['GET', `${V3}/profile/${enc('@a:b:c')}/displayname`],
      ['PUT', `${V3}/profile/${enc(u.userId)}/nickname`, { nickname: 'x' }],
      ['GET', `${V3}/directory/room/${enc('#bad')}`],
      ['PUT', `${V3}/directory/room/${enc('#x:elsewhere.org')}`, { room_id: roomId }],
      ['POST', `${V3}/join/${enc('not an id')}`, {}],
      ['POST', roomPath(roomId, 'invite'), { user_id: 12 }],
      ['POST', roomPath(roomId, 'kick'), {}],
      ['PUT', roomPath(roomId, 'send', 'm.room.message', 'n'), null, 'null'],
      ['PUT', roomPath(roomId, 'send', 'm.room.message', 's'), null, '"a string"'],
      ['PUT', roomPath(roomId, 'send', 'm.room.message', 'num'), null, '42'],
      ['PUT', roomPath(roomId, 'state', 'm.room.power_levels'), { users: 'everyone' }],
      ['PUT', roomPath(roomId, 'state', 'm.room.member', 'not-a-user'), { membership: 'join' }],
      ['PUT', roomPath(roomId, 'state', 'm.room.create'), { creator: u.userId }],
      ['POST', roomPath(roomId, 'receipt', 'm.read', '$nope'), null, '[]'],
      ['POST', `${V3}/user/${enc(u.userId)}/filter`, null, '"x"'],
      ['PUT', `${V3}/sendToDevice/m.test/t1`, { messages: { 'not-a-user': { D: {} } } }],
      ['PUT', `${V3}/sendToDevice/m.test/t2`, { messages: 'x' }],
      ['POST', `${V3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.thirdparty', medium: 'email' }, password: 'x' }],
      ['POST', `${V3}/login`, { type: 'm.login.token', token: 'x' }],
      ['POST', `${V3}/login`, { type: 'm.login.password', user: '@bad id:localhost', password: 'x' }],
      ['POST', `${V3}/register?kind=guest`, {}],
      ['POST', `${V3}/register`, { username: 'x'.repeat(300), password: 'pw', auth: { type: 'm.login.dummy' } }],
      ['POST', `${V3}/register`, { username: uniqueName('r'), password: 'pw', auth: { type: 'm.login.nonsense' } }],
      ['DELETE', `${V3}/devices/${enc('../../x')}`, { auth: 5 }],
      ['GET', `${V3}/pushrules/global/override/${enc('%%%')}`],
      ['PUT', `${V3}/pushrules/global/override/x`, null, '[]'],
    ];
    for (const [method, path, body, raw] of cases) {
      const res = await u.request(method, path, body ?? undefined, raw === undefined ? {} : { raw });
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} ${raw ?? ''} -> ${res.status} ${JSON.stringify(res.body)}`);
      assert.match(String(res.body?.errcode), /^M_[A-Z_]+$/, `${method} ${path} -> ${JSON.stringify(res.body)}`);
    }
  });
});

/** Asserts a 4xx with a Matrix errcode (exact code when given), never a 500. */
function assertClientError(res: { status: number; body: any }, what: string, errcode?: string): void {
  assert.ok(res.status >= 400 && res.status < 500, `${what} -> ${res.status} ${JSON.stringify(res.body)}`);
  assert.match(String(res.body?.errcode), errcode ? new RegExp(`^${errcode}$`) : /^M_[A-Z_]+$/, `${what} -> ${JSON.stringify(res.body)}`);
}

describe('inputs that have no canonical JSON form', () => {
  // Room version 10 events are hashed and signed over canonical JSON, which has no floats,
  // no integers beyond ±(2^53-1) and no unpaired surrogates: such content is the client's error.
  test('event content with floats, huge integers or lone surrogates is 400 M_BAD_JSON', async () => {
    const u = await ctx.user('canon');
    const roomId = await u.createRoom({});
    const cases: [string, string, string][] = [
      ['PUT', roomPath(roomId, 'send', 'm.room.message', 'f1'), '{"msgtype":"m.text","body":"x","n":1.5}'],
      ['PUT', roomPath(roomId, 'send', 'm.room.message', 'f2'), '{"msgtype":"m.text","body":"x","n":9007199254740993}'],
      ['PUT', roomPath(roomId, 'send', 'm.room.message', 'f3'), '{"msgtype":"m.text","body":"\\ud800"}'],
      ['PUT', roomPath(roomId, 'state', 'm.room.name'), '{"name":"\\ud800"}'],
      ['PUT', roomPath(roomId, 'state', 'org.example.f'), '{"v":0.25}'],
      ['POST', `${V3}/createRoom`, '{"name":"\\ud800"}'],
      ['POST', `${V3}/createRoom`, '{"creation_content":{"f":1.5}}'],
      ['POST', `${V3}/createRoom`, '{"initial_state":[{"type":"org.example.x","content":{"f":1.5}}]}'],
      ['POST', `${V3}/createRoom`, '{"power_level_content_override":{"f":1.5}}'],
      ['POST', roomPath(roomId, 'leave'), '{"reason":"\\ud800"}'],
    ];
    const failures: string[] = [];
    for (const [method, path, raw] of cases) {
      const res = await u.request(method, path, undefined, { raw });
      if (res.status !== 400 || res.body?.errcode !== 'M_BAD_JSON') failures.push(`${method} ${path} ${raw} -> ${res.status} ${JSON.stringify(res.body)}`);
    }
    assert.deepEqual(failures, []);
    assert.ok((await u.get(`${V3}/joined_rooms`)).body.joined_rooms.includes(roomId), 'the failed leave left the user joined');
  });

  test('a createRoom refused for its content leaves no half-built room behind', async () => {
    const u = await ctx.user('canonroom');
    const joinedBefore = (await u.get(`${V3}/joined_rooms`)).body.joined_rooms;
    const res = await u.request('POST', `${V3}/createRoom`, undefined, { raw: '{"name":"ok","initial_state":[{"type":"org.example.x","content":{"f":1.5}}]}' });
    assertClientError(res, 'createRoom with a float in initial_state', 'M_BAD_JSON');
    assert.deepEqual((await u.get(`${V3}/joined_rooms`)).body.joined_rooms, joinedBefore);
  });

  test('a displayname with a lone surrogate is refused before it is stored', async () => {
    const u = await ctx.user('canonprof');
    await u.createRoom({});
    assertOk(await u.put(`${V3}/profile/${enc(u.userId)}/displayname`, { displayname: 'Fine' }));
    const res = await u.request('PUT', `${V3}/profile/${enc(u.userId)}/displayname`, undefined, { raw: '{"displayname":"\\udc00"}' });
    assertClientError(res, 'lone surrogate displayname', 'M_BAD_JSON');
    assert.deepEqual(assertOk(await u.get(`${V3}/profile/${enc(u.userId)}/displayname`)), { displayname: 'Fine' });
  });

  test('deeply nested JSON is a 4xx, never a 500', async () => {
    const u = await ctx.user('deep');
    const roomId = await u.createRoom({});
    const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    assertClientError(await u.request('PUT', `${V3}/user/${enc(u.userId)}/account_data/org.example.deep`, undefined, { raw: deep }), 'deep account data');
    assertClientError(await u.request('PUT', roomPath(roomId, 'send', 'org.example.deep', 'd1'), undefined, { raw: deep }), 'deep event content');
  });
});

describe('framework-level request errors', () => {
  test('malformed percent-encoding and over-long path parameters still get Matrix error JSON', async () => {
    const u = await ctx.user('url');
    assertClientError(await u.get(`${V3}/rooms/%ED%A0%80/state`), 'invalid UTF-8 in the path');
    assertClientError(await u.get(`${V3}/profile/%E0%A4%A`), 'truncated percent-escape');
    assertClientError(await u.put(`${V3}/devices/${'A'.repeat(2000)}`, { display_name: 'x' }), 'over-long path parameter');
  });
});

describe('discovery', () => {
  test('/versions, /capabilities and CORS preflight', async () => {
    const u = await ctx.user('disc');
    const versions = assertOk(await u.get('/_matrix/client/versions', { token: null }));
    assert.ok(versions.versions.includes('v1.11'), JSON.stringify(versions.versions));
    const caps = assertOk(await u.get(`${V3}/capabilities`)).capabilities;
    assert.equal(caps['m.room_versions'].default, '10');
    assert.equal(caps['m.room_versions'].available['10'], 'stable');
    const pre = await fetch(`${ctx.url}${V3}/sync`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } });
    assert.ok(pre.status === 200 || pre.status === 204, String(pre.status));
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  });
});

describe('errors of the HTTP parser', () => {
  /** Sends raw bytes in one write and reads everything the server writes until it closes. */
  async function rawExchange(url: string, request: string): Promise<string> {
    const { port, hostname } = new URL(url);
    const { connect } = await import('node:net');
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const sock = connect(Number(port), hostname, () => void sock.write(request));
      sock.on('data', (d) => chunks.push(d));
      sock.on('error', reject);
      sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
  }
  const longLine = (method: string) => `${method} ${V3}/sync?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`;

  test('a request line over the limit is 431 M_TOO_LARGE, with the error JSON for a GET', async () => {
    const text = await rawExchange(ctx.url, longLine('GET'));
    const [head, body] = text.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 431 /);
    assert.deepEqual(JSON.parse(body), { errcode: 'M_TOO_LARGE', error: 'The request line or headers are too large' });
  });

  test('the same for a HEAD has no body: the client would take it for the next answer', async () => {
    const text = await rawExchange(ctx.url, longLine('HEAD'));
    assert.match(text, /^HTTP\/1\.1 431 /);
    assert.ok(text.endsWith('\r\n\r\n'), JSON.stringify(text.slice(-80)));
  });
});
