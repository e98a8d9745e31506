/**
 * The `floor`: a trivial in-memory server speaking just enough of the Client-Server API
 * (register, createRoom, join, send, presence PUT, /sync long-poll) for the bench's
 * exchange pattern. No storage, no auth rules, no event format: what is left is the cost
 * of HTTP, JSON and waking long-polls on this machine, the floor any homeserver sits on.
 * Run as a child process: it listens on 127.0.0.1 and sends its port over IPC.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

interface Waiter {
  userId: string;
  since: number;
  res: ServerResponse;
  timer: NodeJS.Timeout;
}

interface Change {
  pos: number;
  userId?: string;
  roomId?: string;
  event?: Record<string, unknown>;
}

const SERVER = 'floor';
const tokens = new Map<string, string>();
const presence = new Map<string, { presence: string; status_msg?: string }>();
const members = new Map<string, Set<string>>();
const roomsOf = new Map<string, Set<string>>();
const waiting = new Map<string, Set<Waiter>>();
let log: Change[] = [];
let logFloor = 0;
let pos = 0;
let nextId = 0;

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function append(c: Omit<Change, 'pos'>): void {
  pos++;
  log.push({ ...c, pos });
  if (log.length > 200_000) {
    log = log.slice(100_000);
    logFloor = log[0].pos - 1;
  }
}

function audienceOf(userId: string): Set<string> {
  const out = new Set<string>([userId]);
  for (const r of roomsOf.get(userId) ?? []) for (const m of members.get(r) ?? []) out.add(m);
  return out;
}

function shares(a: string, b: string): boolean {
  if (a === b) return true;
  for (const r of roomsOf.get(a) ?? []) if (members.get(r)?.has(b)) return true;
  return false;
}

/** Everything visible to userId since `since`: each changed user once, room events in order. */
function syncBody(userId: string, since: number | undefined): string | undefined {
  const pres = new Map<string, unknown>();
  const rooms: Record<string, { timeline: { events: unknown[] } }> = {};
  if (since === undefined || since < logFloor) {
    for (const u of audienceOf(userId)) {
      const p = presence.get(u);
      if (p) pres.set(u, p);
    }
  } else {
    for (let i = log.length - 1; i >= 0 && log[i].pos > since; i--) {
      const c = log[i];
      if (c.userId !== undefined) {
        if (!pres.has(c.userId) && shares(userId, c.userId)) pres.set(c.userId, presence.get(c.userId));
      } else if (c.roomId !== undefined && members.get(c.roomId)?.has(userId)) {
        (rooms[c.roomId] ??= { timeline: { events: [] } }).timeline.events.unshift(c.event);
      }
    }
    if (pres.size === 0 && Object.keys(rooms).length === 0) return undefined;
  }
  const events = [...pres].map(([sender, content]) => ({ type: 'm.presence', sender, content }));
  return JSON.stringify({ next_batch: String(pos), presence: { events }, rooms: { join: rooms } });
}

function wake(users: Iterable<string>): void {
  for (const u of users) {
    const set = waiting.get(u);
    if (!set) continue;
    for (const w of set) {
      const body = syncBody(u, w.since);
      if (body === undefined) continue;
      clearTimeout(w.timer);
      set.delete(w);
      json(w.res, 200, body);
    }
  }
}

function join(roomId: string, userId: string): void {
  let m = members.get(roomId);
  if (!m) members.set(roomId, (m = new Set()));
  m.add(userId);
  let r = roomsOf.get(userId);
  if (!r) roomsOf.set(userId, (r = new Set()));
  r.add(roomId);
}

function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const parts = path.split('/').map(decodeURIComponent);
  // parts: ['', '_matrix', 'client', 'v3', ...rest]
  const rest = parts.slice(4);
  if (rest[0] === 'register' && req.method === 'POST') {
    const body = JSON.parse(raw || '{}') as { username?: string; auth?: unknown };
    if (!body.auth) return json(res, 401, JSON.stringify({ session: `s${++nextId}`, flows: [{ stages: ['m.login.dummy'] }], params: {} }));
    const userId = `@${body.username ?? `u${++nextId}`}:${SERVER}`;
    const token = `t${++nextId}_${Math.random().toString(36).slice(2)}`;
    tokens.set(token, userId);
    return json(res, 200, JSON.stringify({ user_id: userId, access_token: token, device_id: 'FLOOR' }));
  }
  const auth = req.headers.authorization;
  const userId = auth ? tokens.get(auth.slice(7)) : undefined;
  if (!userId) return json(res, 401, '{"errcode":"M_UNKNOWN_TOKEN","error":"unknown token"}');
  if (rest[0] === 'sync') {
    const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const s = params.get('since');
    const since = s === null ? undefined : Number(s);
    const body = syncBody(userId, since);
    const timeout = Number(params.get('timeout') ?? 0);
    if (body !== undefined || since === undefined || timeout <= 0) return json(res, 200, body ?? JSON.stringify({ next_batch: String(pos), presence: { events: [] }, rooms: { join: {} } }));
    const w: Waiter = { userId, since: since, res, timer: setTimeout(() => {
      waiting.get(userId)?.delete(w);
      json(res, 200, JSON.stringify({ next_batch: String(pos), presence: { events: [] }, rooms: { join: {} } }));
    }, timeout) };
    let set = waiting.get(userId);
    if (!set) waiting.set(userId, (set = new Set()));
    set.add(w);
    res.on('close', () => {
      clearTimeout(w.timer);
      set.delete(w);
    });
    return;
  }
  if (rest[0] === 'presence' && req.method === 'PUT') {
    const body = JSON.parse(raw) as { presence: string; status_msg?: string };
    presence.set(userId, { presence: body.presence, status_msg: body.status_msg });
    append({ userId });
    json(res, 200, '{}');
    return wake(audienceOf(userId));
  }
  if (rest[0] === 'createRoom') {
    const roomId = `!r${++nextId}:${SERVER}`;
    join(roomId, userId);
    return json(res, 200, JSON.stringify({ room_id: roomId }));
  }
  if (rest[0] === 'join') {
    join(rest[1], userId);
    return json(res, 200, JSON.stringify({ room_id: rest[1] }));
  }
  if (rest[0] === 'rooms' && rest[2] === 'send') {
    const roomId = rest[1];
    const event = { type: rest[3], sender: userId, event_id: `$e${++nextId}`, content: JSON.parse(raw) as unknown, origin_server_ts: Date.now() };
    append({ roomId, event });
    json(res, 200, JSON.stringify({ event_id: event.event_id }));
    return wake(members.get(roomId) ?? []);
  }
  if (rest[0] === 'account' && rest[1] === 'whoami') return json(res, 200, JSON.stringify({ user_id: userId }));
  json(res, 404, '{"errcode":"M_UNRECOGNIZED","error":"not in the floor server"}');
}

const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      handle(req, res, chunks.length ? Buffer.concat(chunks).toString('utf8') : '');
    } catch (e) {
      json(res, 400, JSON.stringify({ errcode: 'M_BAD_JSON', error: (e as Error).message }));
    }
  });
});
server.headersTimeout = 0;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;
// The same accept queue as presenced's default listen_backlog, so neither side's figures
// hinge on Node's 511.
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.send?.({ port });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
