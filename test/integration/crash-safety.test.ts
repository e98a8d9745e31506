/**
 * Issue 7 item 4, crash safety: under a load of writes (presence PUTs with status
 * messages, sent events, displayname changes), SIGKILL the server, restart it on the same
 * data directory, and find every write that had been acknowledged with 200.
 *
 * `presenced serve` runs as a child process with the default SQLite database
 * (`synchronous: full`, group commit) and rate limits lifted. Several writer lanes run
 * at once, each lane one request at a time so that the order of its acknowledgements is
 * the order of its writes. The process is killed part-way through the load with requests
 * still in flight, started again, and checked:
 * - every acknowledged message is in /messages, exactly once, in its lane's order, and
 *   the last one of each lane can be fetched by its event_id;
 * - each user's status_msg and presence, displayname and room member event are those of
 *   the last acknowledged write, or of a write sent after it (in flight at the kill).
 * Two kill rounds; the second also re-checks what the first acknowledged.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { scratch, serveProcess, within, type Serving } from '../helpers/processes.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const V3 = '/_matrix/client/v3';
const SERVER_NAME = 'crash.test';
/** Bound on the server becoming ready (tsx compiles on start) and on its exit after SIGKILL. */
const START_MS = 20_000;
/** Bound on any one HTTP request. */
const REQUEST_MS = 10_000;
const USERS = 4;
const MESSAGE_LANES_PER_USER = 2;
const ROUNDS = 2;
/** The load is planned for LOAD_MS; the kill lands at a random point in its middle part. */
const LOAD_MS = 3_000;
const KILL_FROM_MS = 1_200;
const KILL_TO_MS = 2_000;
const NO_LIMIT = { per_second: 100_000, burst: 100_000 };

const { children, tempDir } = scratch('presenced-crash-');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts `presenced serve` on dataDir and waits for its `presenced listening` log line. */
function serve(configFile: string, dataDir: string): Promise<Serving> {
  return serveProcess(children, ['--config', configFile, '--data-dir', dataDir, '--bind', '127.0.0.1', '--port', '0'], { startMs: START_MS });
}

interface Reply {
  status: number;
  body: any;
}

async function call(url: string, method: string, path: string, token: string | null, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_MS),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    // Kept as text for the failure message.
  }
  return { status: res.status, body: parsed };
}

function ok(r: Reply, what: string): any {
  assert.equal(r.status, 200, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const enc = encodeURIComponent;

interface User {
  userId: string;
  token: string;
}

/** One write in a lane: its value, and whether it was answered 200 before the kill. */
interface Write {
  value: string;
  acked: boolean;
  eventId?: string;
}

/** A writer issuing one request at a time, so its acknowledgements are in write order. */
interface Lane {
  kind: 'presence' | 'displayname' | 'message';
  user: User;
  name: string;
  writes: Write[];
}

/** What a single-value lane may read back: its last acknowledged value, or any value written after it. */
function allowedValues(lane: Lane): string[] {
  let last = -1;
  lane.writes.forEach((w, i) => {
    if (w.acked) last = i;
  });
  return [last < 0 ? INITIAL : lane.writes[last].value, ...lane.writes.slice(last + 1).map((w) => w.value)];
}

/** The value every user's displayname and status start from (set and acknowledged before the load). */
const INITIAL = 'r0-init-0';
/** Each write's value `r<round>-l<lane>-<seq>` is unique; what is sent is derived from it. */
const statusOf = (value: string) => `status ${value}`;
const nameOf = (value: string) => `name ${value}`;
const bodyOf = (value: string) => `body ${value}`;
const presenceOf = (value: string) => (Number(value.split('-').pop()) % 2 === 0 ? 'online' : 'unavailable');

interface RoundStats {
  round: number;
  killAtMs: number;
  /** Requests sent and not yet answered when the kill was sent; some answers may already have been on the wire. */
  inFlightAtKill: number;
  acked: { presence: number; displayname: number; message: number };
  unacked: number;
}

describe('crash safety', () => {
  test('every write acknowledged with 200 survives SIGKILL under load (2 rounds)', { timeout: 60_000 }, async () => {
    const started = Date.now();
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const configFile = join(dir, 'presenced.yaml');
    // JSON is YAML.
    writeFileSync(configFile, JSON.stringify({
      server_name: SERVER_NAME,
      registration: true,
      log_level: 'info',
      database: { type: 'sqlite', synchronous: 'full' },
      rate_limits: { login: NO_LIMIT, register: NO_LIMIT, send: NO_LIMIT, presence: NO_LIMIT },
    }));

    // Setup: users in one room, each with a known initial displayname and status.
    let srv = await serve(configFile, dataDir);
    const users: User[] = [];
    for (let i = 0; i < USERS; i++) {
      const r = ok(await call(srv.url, 'POST', `${V3}/register`, null, {
        username: `crash${i}`, password: 'correct horse', auth: { type: 'm.login.dummy' },
      }), 'register');
      users.push({ userId: r.user_id, token: r.access_token });
    }
    const roomId: string = ok(await call(srv.url, 'POST', `${V3}/createRoom`, users[0].token, { preset: 'public_chat' }), 'createRoom').room_id;
    for (const u of users.slice(1)) ok(await call(srv.url, 'POST', `${V3}/join/${enc(roomId)}`, u.token, {}), 'join');
    for (const u of users) {
      ok(await call(srv.url, 'PUT', `${V3}/profile/${enc(u.userId)}/displayname`, u.token, { displayname: nameOf(INITIAL) }), 'initial displayname');
      ok(await call(srv.url, 'PUT', `${V3}/presence/${enc(u.userId)}/status`, u.token, { presence: presenceOf(INITIAL), status_msg: statusOf(INITIAL) }), 'initial presence');
    }

    const lanes: Lane[] = [];
    for (const user of users) {
      lanes.push({ kind: 'presence', user, name: `presence ${user.userId}`, writes: [] });
      lanes.push({ kind: 'displayname', user, name: `displayname ${user.userId}`, writes: [] });
      for (let m = 0; m < MESSAGE_LANES_PER_USER; m++) lanes.push({ kind: 'message', user, name: `messages ${user.userId} lane ${m}`, writes: [] });
    }
    const stats: RoundStats[] = [];

    for (let round = 1; round <= ROUNDS; round++) {
      const url = srv.url;
      let stop = false;
      let inFlight = 0;
      let seq = 0;
      const before = lanes.map((l) => l.writes.length);

      const runLane = async (lane: Lane, li: number) => {
        const u = lane.user;
        while (!stop) {
          seq += 1;
          const value = `r${round}-l${li}-${seq}`;
          const w: Write = { value, acked: false };
          lane.writes.push(w);
          inFlight += 1;
          try {
            let r: Reply;
            if (lane.kind === 'presence') {
              r = await call(url, 'PUT', `${V3}/presence/${enc(u.userId)}/status`, u.token, { presence: presenceOf(value), status_msg: statusOf(value) });
            } else if (lane.kind === 'displayname') {
              r = await call(url, 'PUT', `${V3}/profile/${enc(u.userId)}/displayname`, u.token, { displayname: nameOf(value) });
            } else {
              r = await call(url, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/txn-${value}`, u.token, { msgtype: 'm.text', body: bodyOf(value) });
            }
            // An answer other than 200 before the kill is a bug of its own, not a crash effect.
            assert.equal(r.status, 200, `${lane.name} ${value}: ${r.status} ${JSON.stringify(r.body)}`);
            w.acked = true;
            if (lane.kind === 'message') w.eventId = r.body.event_id;
          } catch (e) {
            // The connection died with the server: the write is unacknowledged and the lane ends.
            if (e instanceof assert.AssertionError) throw e;
            if (!stop) throw new Error(`${lane.name} ${value} failed before the kill: ${String(e)}`);
            return;
          } finally {
            inFlight -= 1;
          }
        }
      };

      const killAtMs = KILL_FROM_MS + Math.floor(Math.random() * (KILL_TO_MS - KILL_FROM_MS));
      assert.ok(killAtMs < LOAD_MS);
      const running = lanes.map((l, i) => runLane(l, i));
      const laneErrors: unknown[] = [];
      const settled = Promise.allSettled(running).then((rs) => {
        for (const r of rs) if (r.status === 'rejected') laneErrors.push(r.reason);
      });
      await Promise.race([sleep(killAtMs), settled]);
      assert.deepEqual(laneErrors, [], 'a writer failed before the kill');
      // The kill: every request answered so far counts as acknowledged; nothing more can be.
      stop = true;
      const inFlightAtKill = inFlight;
      srv.proc.kill('SIGKILL');
      const exit = await within(srv.exited, START_MS, 'exit after SIGKILL');
      assert.equal(exit.signal, 'SIGKILL', `the server was killed, not stopped: ${JSON.stringify(exit)} ${srv.output()}`);
      await within(settled, REQUEST_MS + 5_000, 'writers ending after the kill');
      assert.deepEqual(laneErrors, [], 'a writer failed');

      const newWrites = lanes.flatMap((l, i) => l.writes.slice(before[i]).map((w) => ({ kind: l.kind, w })));
      const count = (kind: Lane['kind']) => newWrites.filter((x) => x.kind === kind && x.w.acked).length;
      const s: RoundStats = {
        round,
        killAtMs,
        inFlightAtKill,
        acked: { presence: count('presence'), displayname: count('displayname'), message: count('message') },
        unacked: newWrites.filter((x) => !x.w.acked).length,
      };
      stats.push(s);
      // Requests were outstanding when the kill came: it landed in the middle of the load. (Some
      // of them may still read a 200 the server sent just before dying, so none need stay unanswered.)
      assert.ok(s.inFlightAtKill > 0, `round ${round}: no write was in flight at the kill`);
      for (const kind of ['presence', 'displayname', 'message'] as const) {
        assert.ok(s.acked[kind] >= USERS, `round ${round}: too few ${kind} writes acknowledged before the kill (${s.acked[kind]})`);
      }

      // Restart on the same data directory and look for every acknowledged write.
      srv = await serve(configFile, dataDir);
      await verify(srv.url, users, roomId, lanes, `after kill ${round}`);
    }

    const total = stats.reduce((n, s) => n + s.acked.presence + s.acked.displayname + s.acked.message, 0);
    const summary = `crash safety: ${stats.map((s) => `round ${s.round}: killed after ${s.killAtMs} ms with ${s.inFlightAtKill} requests outstanding, acknowledged ${s.acked.message} messages, ${s.acked.presence} presence PUTs, ${s.acked.displayname} displaynames, ${s.unacked} never answered`).join('; ')}; ${total} acknowledged writes checked in ${Date.now() - started} ms`;
    process.stdout.write(`# ${summary}\n`);
    srv.proc.kill('SIGKILL');
    await within(srv.exited, START_MS, 'final exit');
  });
});

async function verify(
  url: string,
  users: User[],
  roomId: string,
  lanes: Lane[],
  when: string,
): Promise<void> {
  const reader = users[0];

  // The whole room timeline, oldest first.
  const bodies: string[] = [];
  const ids = new Map<string, string>();
  let from: string | undefined;
  for (let page = 0; page < 100; page++) {
    const q = new URLSearchParams({ dir: 'b', limit: '1000' });
    if (from) q.set('from', from);
    const r = ok(await call(url, 'GET', `${V3}/rooms/${enc(roomId)}/messages?${q}`, reader.token), `${when}: /messages`);
    for (const ev of r.chunk as any[]) {
      if (ev.type !== 'm.room.message') continue;
      bodies.push(ev.content.body);
      ids.set(ev.content.body, ev.event_id);
    }
    if (!r.end || (r.chunk as any[]).length === 0) break;
    from = r.end;
  }
  bodies.reverse();
  assert.equal(new Set(bodies).size, bodies.length, `${when}: a message body appears twice in /messages`);
  const position = new Map(bodies.map((b, i) => [b, i]));

  for (const lane of lanes) {
    const u = lane.user;
    if (lane.kind === 'message') {
      const acked = lane.writes.filter((w) => w.acked);
      const missing = acked.filter((w) => !position.has(bodyOf(w.value)));
      for (const w of missing) {
        // Not in /messages: try the event itself before calling it lost.
        const r = await call(url, 'GET', `${V3}/rooms/${enc(roomId)}/event/${enc(w.eventId!)}`, reader.token);
        assert.fail(`${when}: ${lane.name}: acknowledged message ${w.value} (${w.eventId}) is not in /messages; GET event: ${r.status} ${JSON.stringify(r.body)}; ${missing.length} of ${acked.length} missing`);
      }
      let prev = -1;
      for (const w of acked) {
        const body = bodyOf(w.value);
        assert.equal(ids.get(body), w.eventId, `${when}: ${lane.name}: ${w.value} has the event_id it was acknowledged with`);
        const p = position.get(body)!;
        assert.ok(p > prev, `${when}: ${lane.name}: ${w.value} is out of order in /messages`);
        prev = p;
      }
      const last = acked.at(-1);
      if (last) {
        const ev = ok(await call(url, 'GET', `${V3}/rooms/${enc(roomId)}/event/${enc(last.eventId!)}`, reader.token), `${when}: GET event ${last.eventId}`);
        assert.equal(ev.content.body, bodyOf(last.value));
      }
    } else if (lane.kind === 'presence') {
      const allowed = allowedValues(lane);
      const got = ok(await call(url, 'GET', `${V3}/presence/${enc(u.userId)}/status`, u.token), `${when}: GET presence`);
      const value = allowed.find((v) => got.status_msg === statusOf(v));
      assert.ok(value !== undefined, `${when}: ${lane.name}: status_msg ${JSON.stringify(got.status_msg)} is neither the last acknowledged one nor a later one (${JSON.stringify(allowed.slice(0, 3))})`);
      assert.equal(got.presence, presenceOf(value), `${when}: ${lane.name}: presence goes with status_msg ${JSON.stringify(got.status_msg)}`);
    } else {
      const allowed = allowedValues(lane);
      const named = nameOf;
      const got = ok(await call(url, 'GET', `${V3}/profile/${enc(u.userId)}/displayname`, u.token), `${when}: GET displayname`);
      assert.ok(allowed.some((v) => got.displayname === named(v)),
        `${when}: ${lane.name}: displayname ${JSON.stringify(got.displayname)} is neither the last acknowledged one nor a later one (${JSON.stringify(allowed.slice(0, 3))})`);
      // A displayname change is answered after the member event carrying it is sent.
      const member = ok(await call(url, 'GET', `${V3}/rooms/${enc(roomId)}/state/m.room.member/${enc(u.userId)}`, reader.token), `${when}: member event`);
      assert.ok(allowed.some((v) => member.displayname === named(v)),
        `${when}: ${lane.name}: member event displayname ${JSON.stringify(member.displayname)} is neither the last acknowledged one nor a later one (${JSON.stringify(allowed.slice(0, 3))})`);
    }
  }
}
