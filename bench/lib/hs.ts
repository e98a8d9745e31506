/**
 * The few Client-Server API calls the bench makes, over an undici keep-alive pool. Only
 * the standard API, so the same code runs against any homeserver.
 */
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Pool, type Dispatcher } from 'undici';

export const V3 = '/_matrix/client/v3';

export interface Account {
  userId: string;
  accessToken: string;
  deviceId?: string;
}

export interface Reply {
  status: number;
  text: string;
}

/** A short name for a failed request in error counts: timeout, reset, refused, or the error code. */
export function errorKind(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'reset';
  if (code === 'ECONNREFUSED') return 'refused';
  return typeof code === 'string' ? code : 'network';
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

export interface PoolOptions {
  connections?: number;
  /** Source address (127.x): spreads sockets over more (source, port) pairs. */
  localAddress?: string;
  /** Longest a request may wait for headers or body; long-polls need more than their timeout. */
  timeoutMs?: number;
}

export function makePool(origin: string, o: PoolOptions = {}): Pool {
  return new Pool(origin, { connections: o.connections ?? 16, ...connectionOptions(o) });
}

/**
 * One keep-alive connection, as a client's own /sync loop has. A Pool looks for a free
 * connection on every request by walking its list, which for a child's thousand
 * long-polls (almost all busy) was a tenth of the child's CPU.
 */
export function makeClient(origin: string, o: Omit<PoolOptions, 'connections'> = {}): Client {
  return new Client(origin, connectionOptions(o));
}

function connectionOptions(o: Omit<PoolOptions, 'connections'>): Pool.Options {
  return {
    pipelining: 1,
    keepAliveTimeout: 120_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: o.timeoutMs ?? 120_000,
    bodyTimeout: o.timeoutMs ?? 120_000,
    localAddress: o.localAddress,
  };
}

/**
 * `localhost` may resolve to ::1 or 127.0.0.1; resolve it once so every process talks to
 * the same address and IPv4 source spreading can be used. Returns whether it is IPv4.
 */
export async function resolveOrigin(origin: string): Promise<{ origin: string; ipv4: boolean }> {
  const u = new URL(origin);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIPv4(host)) return { origin: u.origin, ipv4: true };
  if (host.includes(':')) return { origin: u.origin, ipv4: false };
  const { address, family } = await lookup(host);
  u.hostname = family === 6 ? `[${address}]` : address;
  return { origin: u.origin, ipv4: family === 4 };
}

/** retry_after_ms of a 429 body, or a second when the server gave none. */
export function retryAfterMs(text: string): number {
  const m = /"retry_after_ms"\s*:\s*(\d+)/.exec(text);
  return m ? Math.min(Number(m[1]), 60_000) : 1000;
}

/**
 * One request through undici's low-level dispatch: no body stream, no per-request promise
 * chain beyond this one. Long-poll loops make tens of thousands of these a second, and the
 * streaming `request()` API costs the bench noticeably more CPU per response.
 */
export function fastRequest(d: Dispatcher, method: 'GET' | 'POST' | 'PUT', path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    d.dispatch(
      { method, path, headers, body },
      // The classic handler shape: Pool's clients in undici 7 still require onConnect/onHeaders.
      {
        onConnect() {},
        onHeaders(statusCode) {
          status = statusCode;
          return true;
        },
        onData(chunk) {
          if (first === undefined) first = chunk;
          else (more ??= [first]).push(chunk);
          return true;
        },
        onComplete() {
          const text = more ? Buffer.concat(more).toString('utf8') : first ? first.toString('utf8') : '';
          resolve({ status, text });
        },
        onError(err) {
          reject(err);
        },
      },
    );
  });
}

export class Homeserver {
  readonly pool: Pool;
  /** 429 answers waited out during setup. */
  rateLimited = 0;

  constructor(readonly origin: string, opts: PoolOptions = {}) {
    this.pool = makePool(origin, opts);
  }

  raw(method: 'GET' | 'POST' | 'PUT', path: string, token?: string, body?: string): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fastRequest(this.pool, method, path, headers, body);
  }

  /** A setup call: waits out 429s, retries network errors a few times, throws on other failures. */
  async call(method: 'GET' | 'POST' | 'PUT', path: string, token: string | undefined, body: unknown, what: string, okStatuses: number[] = [200]): Promise<Reply> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0, netErrors = 0; ; attempt++) {
      let r: Reply;
      try {
        r = await this.raw(method, path, token, text);
      } catch (e) {
        if (++netErrors > 3) throw e;
        await sleep(200 * netErrors);
        continue;
      }
      if (r.status === 429 && attempt < 100) {
        this.rateLimited++;
        await sleep(retryAfterMs(r.text));
        continue;
      }
      if (!okStatuses.includes(r.status)) throw new HttpError(r.status, r.text, what);
      return r;
    }
  }

  /** Registers with the m.login.dummy interactive auth flow (401 with a session, then again with auth). */
  async register(username: string, password: string): Promise<Account> {
    const base = { username, password, initial_device_display_name: 'bench', inhibit_login: false };
    const first = await this.call('POST', `${V3}/register`, undefined, base, `register ${username}`, [200, 401]);
    let ok = first;
    if (first.status === 401) {
      const session = (JSON.parse(first.text) as { session?: string }).session;
      ok = await this.call('POST', `${V3}/register`, undefined, { ...base, auth: { type: 'm.login.dummy', session } }, `register ${username}`);
    }
    const b = JSON.parse(ok.text) as { user_id: string; access_token: string; device_id?: string };
    if (!b.access_token) throw new Error(`register ${username}: no access_token in ${ok.text.slice(0, 200)}`);
    return { userId: b.user_id, accessToken: b.access_token, deviceId: b.device_id };
  }

  async createRoom(acc: Account, body: Record<string, unknown>): Promise<string> {
    const r = await this.call('POST', `${V3}/createRoom`, acc.accessToken, body, 'createRoom');
    return (JSON.parse(r.text) as { room_id: string }).room_id;
  }

  async join(acc: Account, roomId: string): Promise<void> {
    await this.call('POST', `${V3}/join/${encodeURIComponent(roomId)}`, acc.accessToken, {}, `join ${roomId}`);
  }

  /** 200 when the token is valid. */
  async whoamiStatus(acc: Account): Promise<number> {
    return (await this.raw('GET', `${V3}/account/whoami`, acc.accessToken)).status;
  }

  /** One presence PUT, not retried: the caller counts failures. */
  putPresence(acc: Account, presence: string, statusMsg: string): Promise<Reply> {
    // Tags are [a-z0-9:] only, so the body needs no JSON escaping.
    const body = `{"presence":"${presence}","status_msg":"${statusMsg}"}`;
    return this.raw('PUT', `${V3}/presence/${encodeURIComponent(acc.userId)}/status`, acc.accessToken, body);
  }

  sendText(acc: Account, roomId: string, txnId: string, text: string): Promise<Reply> {
    const body = JSON.stringify({ msgtype: 'm.text', body: text });
    return this.raw('PUT', `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, acc.accessToken, body);
  }

  /** Ends every request still in flight: a run's time bound does not wait on a stuck server. */
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Runs fn over 0..n-1 with at most `limit` in flight; the first error stops new work and is thrown. */
export async function forEachLimit(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < n) {
      const i = next++;
      try {
        await fn(i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  if (failed !== undefined) throw failed;
}
