/**
 * Issue 7 item 5: property-based fuzzing of every route the Fastify app registers.
 *
 * The route list is read from the app itself (printRoutes), so a new endpoint is fuzzed
 * without touching this file. Each case picks a route and a method, fills its path
 * parameters with valid IDs or hostile strings (bad IDs, `..`, `%2F`, double encoding,
 * lone surrogates, RTL, zero-width, emoji, huge), adds random query parameters, and sends
 * a random, mutated, wrongly typed, huge or deeply nested body with a random token.
 *
 * Property: never a 5xx; every 4xx under /_matrix and /_presenced is Matrix error JSON
 * ({errcode: /^M_/, error: string}); after every batch /versions still answers 200.
 * Requests go over raw node:http so dot segments and odd encodings reach the server as sent.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouteTree } from '../helpers/routes.js';
import http from 'node:http';
import fc from 'fast-check';
import { TestClient } from '../helpers/client.js';
import { V3, assertOk, uniqueName, useServer } from '../helpers/integration.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x7f_0712);
const BATCH = 12;
const RUNS = Number(process.env.FUZZ_RUNS ?? 400); // 400 × 12 = 4800 cases

const ctx = useServer({ config: { limits: { max_sync_timeout: 20, max_body_size: 65536 } } });

interface RawReply { status: number; text: string; contentType: string }

// One connection per case: a case that leaves a socket in an odd state cannot spoil the next one.
const agent = new http.Agent({ keepAlive: false, maxSockets: BATCH });

/** One request with the path sent byte for byte as given (only non-ASCII and spaces escaped). */
function raw(base: string, method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<RawReply> {
  const u = new URL(base);
  const safePath = path.replace(/[^\x21-\x7e]/g, (c) => encodeLoose(c));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: safePath, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A string that cannot be encoded by encodeURIComponent (lone surrogate) is escaped by hand. */
function encodeLoose(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...s].map((c) => {
      try {
        return encodeURIComponent(c);
      } catch {
        return '%ED%A0%80';
      }
    }).join('');
  }
}

// ---- generators ---------------------------------------------------------------------

const oddUnicode = fc.constantFrom(
  '\uD800', '\uDFFF', 'a\uD83Db', '\u202Eevil\u202C', '\u200B', '\u200D\u200C\uFEFF', '👩‍👩‍👧‍👦', '🏳️‍🌈', '\u0000', 'ǅ',
  '\u0301\u0301\u0301', 'שלום', '\uFFFF', '\uFFFE', '\u2028\u2029', 'é', 'ﬃ', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\t\r\n', '"\\',
);

const weirdString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  oddUnicode,
  fc.array(oddUnicode, { maxLength: 6 }).map((a) => a.join('')),
  fc.constantFrom('', ' ', 'null', 'undefined', 'true', '0', '-1', '1e309', 'NaN', '[]', '{}', '%', '%%', '%zz', '%00', '\\'),
  fc.nat({ max: 70_000 }).map((n) => 'x'.repeat(n)),
);

/** Mostly short: a long string in a path or query only tests the request-line limit (431). */
const pathString = fc.oneof({ weight: 9, arbitrary: weirdString.filter((s) => s.length < 2000) }, { weight: 1, arbitrary: weirdString });

const badIds = fc.constantFrom(
  '@', '@:', '@a', '@a:', ':localhost', '@a:localhost:99999', '@A:LOCALHOST', '@a b:localhost', '@\u0000:localhost', '@a:loc/alhost',
  '!', '!a', '!:localhost', '!a:', '!a:localhost', '#', '#a:elsewhere', '#:localhost', '$', '$abc', '$:localhost',
  '@@a:localhost', '!!!', '@a:[::1]', '@a:[::1', '@a:localhost\n', '@a:xn--', '@' + 'a'.repeat(300) + ':localhost',
);

const pathTricks = fc.constantFrom(
  '..', '.', '../..', '..%2F..', '%2E%2E', '%2e%2e%2f', '%252F', '%252e%252e', '%2F', '/', '//', 'a/b', 'a%2Fb', '%00', '%',
  '%ZZ', '%C0%AE%C0%AE', '%E2%80%AE', '%F0%9F%98%80', '%ED%A0%80', '?', '#frag', ';', '*', '..;/', '%5C..%5C', '~', '%20',
);

function paramValue(name: string, real: Record<string, string[]>): fc.Arbitrary<{ v: string; encode: boolean }> {
  const valid = real[name] ?? [];
  const validArb = valid.length ? fc.constantFrom(...valid) : fc.constant('x');
  return fc.oneof(
    { weight: 4, arbitrary: validArb.map((v) => ({ v, encode: true })) },
    { weight: 2, arbitrary: badIds.map((v) => ({ v, encode: true })) },
    { weight: 2, arbitrary: pathString.map((v) => ({ v, encode: true })) },
    { weight: 2, arbitrary: pathTricks.map((v) => ({ v, encode: false })) },
    { weight: 1, arbitrary: validArb.map((v) => ({ v, encode: false })) },
    { weight: 1, arbitrary: validArb.map((v) => ({ v: encodeURIComponent(encodeURIComponent(v)), encode: false })) },
  );
}

const QUERY_KEYS = ['since', 'timeout', 'filter', 'full_state', 'set_presence', 'limit', 'dir', 'from', 'to', 'format', 'membership',
  'not_membership', 'at', 'kind', 'username', 'before', 'after', 'access_token', 'user_id', 'server', 'use_state_after', 'zzz'];

const queryValue = fc.oneof(
  pathString,
  fc.constantFrom('b', 'f', 'true', 'false', 'online', 'offline', 'hidden', 'event', '99999999999999999999', '-5', '1.5', '0x10', 's0_0_0',
    't1', '{"room":{"timeline":{"limit":1}}}', '{"presence":{"limit":-1}}', '{"room":{"rooms":5}}', '{', '[]', '{"a":' + '['.repeat(200)),
  fc.jsonValue({ maxDepth: 3 }).map((j) => JSON.stringify(j) ?? 'null'),
);

const queryString = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 5,
    arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.constantFrom(...QUERY_KEYS), pathString), queryValue, fc.boolean()), { maxLength: 5 })
      .map((pairs) => '?' + pairs.map(([k, v, enc]) => (enc ? `${encodeLoose(k)}=${encodeLoose(v)}` : `${k}=${v}`.replace(/[#\s]/g, '_'))).join('&')),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '??', '?&&', '?=', '?a', '?timeout=1&timeout=2', '?filter=1&filter=%7B', '?%', '?a[b]=c', '?__proto__=x', '?constructor[prototype][x]=1') },
);

function nest(depth: number, leaf: unknown, arr: boolean): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = arr ? [v] : { a: v };
  return v;
}

/** Field names the endpoints read, so mutated values land where a handler looks. */
const FIELDS = ['presence', 'status_msg', 'displayname', 'avatar_url', 'msgtype', 'body', 'user_id', 'reason', 'typing', 'timeout', 'room_id',
  'visibility', 'name', 'topic', 'invite', 'preset', 'initial_state', 'creation_content', 'power_level_content_override', 'room_version',
  'is_direct', 'type', 'identifier', 'user', 'password', 'device_id', 'username', 'auth', 'session', 'new_password', 'logout_devices',
  'devices', 'messages', 'display_name', 'search_term', 'limit', 'room', 'event_fields', 'event_format', 'account_data', 'state', 'appear_offline',
  'enabled', 'actions', 'conditions', 'pattern', 'thread_id', 'm.fully_read', 'm.read', 'm.read.private', 'membership', '__proto__', 'constructor'];

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  weirdString,
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 2 ** 53 + 1, 1.5, [], {}, [null], { '': null }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  badIds,
);

const mutatedObject = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), weirdString), anyValue, { maxKeys: 6 });

/** A plausible body for a few routes, one field of which is then mutated. */
const plausible = fc.constantFrom<Record<string, unknown>>(
  { presence: 'online', status_msg: 'hi' }, { msgtype: 'm.text', body: 'x' }, { displayname: 'n' }, { user_id: '@a:localhost' },
  { typing: true, timeout: 1000 }, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'a' }, password: 'p' },
  { username: 'a', password: 'p', auth: { type: 'm.login.dummy' } }, { name: 'r', preset: 'public_chat', invite: [] },
  { room: { timeline: { limit: 1 } }, presence: { types: ['m.presence'] } }, { state: 'online' }, { appear_offline: true },
  { messages: { '@a:localhost': { '*': {} } } }, { search_term: 'a', limit: 5 }, { visibility: 'public' }, { room_id: '!a:localhost' },
  { actions: ['notify'], conditions: [], pattern: 'x' }, { enabled: true }, { devices: ['X'], auth: {} }, { new_password: 'x' },
);
const mutatedPlausible = fc.tuple(plausible, fc.constantFrom(...FIELDS), anyValue).map(([b, k, v]) => ({ ...b, [k]: v }));

const rawBody: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: mutatedObject.map((o) => JSON.stringify(o)) },
  { weight: 4, arbitrary: mutatedPlausible.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((j) => JSON.stringify(j) ?? 'null') },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3000 }), anyValue, fc.boolean()).map(([d, leaf, arr]) => JSON.stringify(nest(d, leaf, arr))) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)) },
  { weight: 1, arbitrary: fc.nat({ max: 200_000 }).map((n) => JSON.stringify({ body: 'y'.repeat(n), msgtype: 'm.text', presence: 'online', displayname: 'z'.repeat(n) })) },
  { weight: 1, arbitrary: fc.nat({ max: 5000 }).map((n) => JSON.stringify({ invite: Array.from({ length: n }, (_, i) => `@u${i}:localhost`), devices: Array.from({ length: n }, String) })) },
  { weight: 2, arbitrary: fc.oneof(weirdString, fc.constantFrom('{', '}', '{"a":}', 'nul', '"\\ud800"', '{"a":1,"a":2}', '\uFEFF{}', '{"__proto__":{"x":1}}', '1e999', '-', '{"a":"\\u0000"}')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

const tokenKind = fc.constantFrom('valid', 'valid', 'valid', 'none', 'garbage', 'other', 'query');
const contentType = fc.constantFrom('application/json', 'application/json', 'text/plain', '', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1');

// ---- the test -----------------------------------------------------------------------

describe('fuzzing every registered endpoint', () => {
  test('no 5xx, Matrix error JSON on every 4xx, and /versions keeps answering', async () => {
    const started = Date.now();
    const routes = parseRouteTree(ctx.server.server.app.printRoutes({ commonPrefix: false }));
    const clientRoutes = routes.filter((r) => r.path.startsWith('/_matrix/') || r.path.startsWith('/_presenced/'));
    assert.ok(clientRoutes.length > 50, `only ${clientRoutes.length} routes parsed from printRoutes`);
    assert.ok(clientRoutes.some((r) => r.path === '/_matrix/client/v3/presence/:userId/status'), 'route tree parse failed');

    // Real IDs, so a share of the cases reach the handlers' deeper logic.
    let me = await ctx.user('fz');
    const other = await ctx.user('fzo');
    const roomId = await me.createRoom({ preset: 'public_chat', room_alias_name: uniqueName('fza'), invite: [other.userId] });
    const eventId = await me.send(roomId, 'hello');
    const aliasRes = assertOk(await me.get(`${V3}/rooms/${encodeURIComponent(roomId)}/aliases`));
    const filterId = assertOk(await me.post(`${V3}/user/${encodeURIComponent(me.userId)}/filter`, { room: { timeline: { limit: 1 } } })).filter_id;
    const real = (): Record<string, string[]> => ({
      roomId: [roomId, '!nope:localhost'],
      roomIdOrAlias: [roomId, ...aliasRes.aliases, '#missing:localhost'],
      roomAlias: [...aliasRes.aliases, `#${uniqueName('nal')}:localhost`],
      userId: [me.userId, other.userId, '@ghost:localhost', '@r:remote.example'],
      eventId: [eventId, '$missing'],
      eventType: ['m.room.message', 'm.room.member', 'm.room.power_levels', 'm.room.create', 'm.room.name', 'org.x'],
      stateKey: ['', me.userId, other.userId],
      txnId: ['t1', 't2'],
      deviceId: [me.deviceId, 'NOPE'],
      type: ['m.direct', 'org.x', 'm.push_rules', 'm.fully_read'],
      filterId: [String(filterId), '999999', '-1', '1e3'],
      field: ['displayname', 'avatar_url', 'nope'],
      scope: ['global', 'device'],
      kind: ['override', 'underride', 'sender', 'room', 'content', 'nope'],
      ruleId: ['.m.rule.master', 'mine', '.m.rule.contains_user_name'],
      attr: ['enabled', 'actions', 'nope'],
      receiptType: ['m.read', 'm.read.private', 'm.fully_read', 'm.nope'],
    });

    const routeArb = fc.constantFrom(...clientRoutes);
    const caseArb = fc.tuple(routeArb, queryString, rawBody, tokenKind, contentType, fc.integer({ min: 0, max: 9 }))
      .chain(([route, query, body, token, ct, methodPick]) => {
        const names = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]);
        const methods = route.methods.filter((m) => m !== 'HEAD');
        const method = methodPick === 0 ? fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') : fc.constantFrom(...(methods.length ? methods : ['GET']));
        const params = names.length ? fc.tuple(...names.map((n) => paramValue(n, real()))) : fc.constant([] as { v: string; encode: boolean }[]);
        const suffix = fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '//', '/..', '/.', '/%2e%2e', '/extra', '%00', ';x') });
        return fc.record({
          route: fc.constant(route), method, params, query: fc.constant(query), body: fc.constant(body), token: fc.constant(token),
          ct: fc.constant(ct), suffix,
        });
      });

    let cases = 0;
    const statuses = new Map<number, number>();
    const check = async (c: any): Promise<void> => {
      let i = 0;
      const path = (c.route.path as string).replace(/:([A-Za-z_]+)/g, () => {
        const p = c.params[i++] as { v: string; encode: boolean };
        return p.encode ? encodeLoose(p.v) : p.v;
      }) + c.suffix + c.query;
      const headers: Record<string, string> = {};
      if (c.ct) headers['content-type'] = c.ct;
      let p = path;
      if (c.token === 'valid') headers.authorization = `Bearer ${me.accessToken}`;
      else if (c.token === 'garbage') headers.authorization = 'Bearer syt_garbage\u00e9';
      else if (c.token === 'other') headers.authorization = 'Basic dXNlcjpwYXNz';
      else if (c.token === 'query') p += `${p.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(me.accessToken)}`;
      if (headers.authorization) headers.authorization = headers.authorization.replace(/[^\x20-\x7e]/g, '?');
      const body = c.method === 'HEAD' ? undefined : c.method === 'GET' ? (c.body !== undefined && c.body.length < 100 ? c.body : undefined) : c.body;
      let res: RawReply;
      try {
        res = await raw(ctx.url, c.method, p, body, headers);
      } catch (err) {
        throw new Error(`transport error ${String(err)}: ${c.method} ${p.slice(0, 300)} (${p.length} chars) headers=${JSON.stringify(headers)} body=${JSON.stringify(body?.slice(0, 200))} (${body?.length ?? 0} chars)`);
      }
      cases++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const what = `${c.method} ${p.slice(0, 300)} body=${JSON.stringify(body?.slice(0, 300))} -> ${res.status} ${res.text.slice(0, 300)}`;
      assert.ok(res.status >= 100 && res.status < 500, `5xx: ${what}`);
      const matrixPath = /^\/+_(matrix|presenced)\//.test(p);
      if (res.status >= 400 && matrixPath && c.method !== 'HEAD') {
        let j: any;
        try {
          j = JSON.parse(res.text);
        } catch {
          assert.fail(`4xx without JSON: ${what}`);
        }
        // User-interactive auth answers 401 with its flows, and an errcode only after a failed stage (spec).
        if (res.status === 401 && Array.isArray(j?.flows) && j.errcode === undefined) return;
        assert.ok(typeof j?.errcode === 'string' && /^M_[A-Z_]+$/.test(j.errcode), `errcode: ${what}`);
        assert.equal(typeof j.error, 'string', `error: ${what}`);
        assert.match(res.contentType, /application\/json/, `content-type: ${what}`);
      }
    };

    await fc.assert(
      fc.asyncProperty(fc.array(caseArb, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await Promise.all(batch.map(check));
        const v = await raw(ctx.url, 'GET', '/_matrix/client/versions', undefined, {});
        assert.equal(v.status, 200, 'the server stopped answering /versions');
        // A fuzzed logout, password change, device delete or deactivation ends the session: start another.
        const who = await me.get(`${V3}/account/whoami`);
        if (who.status !== 200) me = await new TestClient(ctx.url).register(uniqueName('fz'));
      }),
      {
        seed: SEED, numRuns: RUNS, endOnFailure: true,
        // The default report prints whole batches (megabytes of generated text): keep the first failure short.
        reporter: (out) => {
          if (out.failed) throw new Error(`fuzz failed (seed ${SEED}, run ${out.numRuns}): ${out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance)}`.slice(0, 4000));
        },
      },
    );

    // Static files: traversal never reaches outside the web client's directory.
    for (const p of ['/assets/..%2F..%2Fpackage.json', '/assets/%2e%2e/%2e%2e/package.json', '/assets/....//package.json', '/%2e%2e/package.json',
      '/assets/..%5C..%5Cpackage.json', '/index.html/..%2F..%2Fpackage.json', '/assets/%252e%252e/package.json']) {
      const res = await raw(ctx.url, 'GET', p, undefined, {});
      cases++;
      assert.ok(res.status < 500, `${p}: ${res.status}`);
      assert.ok(!res.text.includes('"devDependencies"'), `${p} served package.json`);
    }
    console.log(`fuzz: ${cases} cases over ${clientRoutes.length} routes, seed ${SEED}, ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    agent.destroy();
  });
});
