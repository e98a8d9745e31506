/** The Client-Server calls the web client makes, over fetch, against the server that served it. */

export interface Session {
  userId: string;
  deviceId: string;
  accessToken: string;
}

export type DeviceState = 'online' | 'idle' | 'offline';
export type SyncPresence = 'online' | 'unavailable' | 'offline';

/** `GET /_matrix/client/unstable/org.presenced/presence` (seed 004's "my own full presence"). */
export interface SelfPresence {
  presence: string;
  status_msg: string | null;
  appear_offline: boolean;
  decided_by: string | null;
  last_active_ago?: number;
  currently_active?: boolean;
  devices: { device_id: string; presence: string; syncing: boolean; last_active_ago?: number; last_sync_ago?: number }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

const V3 = '/_matrix/client/v3';
const UNSTABLE = '/_matrix/client/unstable/org.presenced';
const DEVICE_NAME = 'presenced web';

const enc = encodeURIComponent;

export class Api {
  session: Session | null = null;

  constructor(
    private readonly base: string,
    private readonly fetchFn: FetchFn = (url, init) => fetch(url, init),
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** One request; a 429 is retried after the server's retry_after_ms (twice at most). */
  async request<T>(method: string, path: string, body?: unknown, opts: { signal?: AbortSignal } = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (this.session) headers.authorization = `Bearer ${this.session.accessToken}`;
      const res = await this.fetchFn(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: opts.signal,
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        // A proxy's HTML error page: report the status.
      }
      if (res.ok) return json as T;
      const errcode = typeof json.errcode === 'string' ? json.errcode : 'M_UNKNOWN';
      const retry = typeof json.retry_after_ms === 'number' ? json.retry_after_ms : 1000;
      if (res.status === 429 && attempt < 2) {
        await this.wait(Math.min(retry, 5000));
        continue;
      }
      throw new ApiError(res.status, errcode, typeof json.error === 'string' ? json.error : `HTTP ${res.status}`, json);
    }
  }

  async login(user: string, password: string): Promise<Session> {
    const r = await this.request<{ user_id: string; device_id: string; access_token: string }>('POST', `${V3}/login`, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password,
      initial_device_display_name: DEVICE_NAME,
    });
    return this.adopt(r);
  }

  /** Registration with the m.login.dummy stage, following the server's UIA session if it asks for one. */
  async register(username: string, password: string): Promise<Session> {
    const body = { username, password, initial_device_display_name: DEVICE_NAME };
    let r: { user_id: string; device_id: string; access_token: string };
    try {
      r = await this.request('POST', `${V3}/register`, { ...body, auth: { type: 'm.login.dummy' } });
    } catch (err) {
      const session = err instanceof ApiError && err.status === 401 ? err.body.session : undefined;
      if (typeof session !== 'string') throw err;
      r = await this.request('POST', `${V3}/register`, { ...body, auth: { type: 'm.login.dummy', session } });
    }
    return this.adopt(r);
  }

  private adopt(r: { user_id: string; device_id: string; access_token: string }): Session {
    this.session = { userId: r.user_id, deviceId: r.device_id, accessToken: r.access_token };
    return this.session;
  }

  async logout(): Promise<void> {
    try {
      await this.request('POST', `${V3}/logout`, {});
    } finally {
      this.session = null;
    }
  }

  sync(p: { since: string | null; timeoutMs: number; setPresence: SyncPresence; filter: string }, signal?: AbortSignal): Promise<SyncBody> {
    const q = new URLSearchParams({ timeout: String(p.timeoutMs), set_presence: p.setPresence, filter: p.filter });
    if (p.since) q.set('since', p.since);
    return this.request('GET', `${V3}/sync?${q}`, undefined, { signal });
  }

  sendText(roomId: string, text: string, txnId: string): Promise<{ event_id: string }> {
    return this.request('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/${enc(txnId)}`, { msgtype: 'm.text', body: text });
  }

  createRoom(name: string, invite: string[]): Promise<{ room_id: string }> {
    const body: Record<string, unknown> = { preset: 'private_chat', invite };
    if (name) body.name = name;
    return this.request('POST', `${V3}/createRoom`, body);
  }

  join(roomIdOrAlias: string): Promise<{ room_id: string }> {
    return this.request('POST', `${V3}/join/${enc(roomIdOrAlias)}`, {});
  }

  leave(roomId: string): Promise<unknown> {
    return this.request('POST', `${V3}/rooms/${enc(roomId)}/leave`, {});
  }

  messages(roomId: string, from: string, limit: number): Promise<{ chunk: RawEvent[]; end?: string; state?: RawEvent[] }> {
    const q = new URLSearchParams({ dir: 'b', from, limit: String(limit) });
    return this.request('GET', `${V3}/rooms/${enc(roomId)}/messages?${q}`);
  }

  /** `PUT /presence/{userId}/status`; `hidden` keeps appear-offline on while storing the message. */
  setStatus(presence: 'online' | 'unavailable' | 'hidden', statusMsg: string | null): Promise<unknown> {
    const me = this.session?.userId ?? '';
    return this.request('PUT', `${V3}/presence/${enc(me)}/status`, { presence, status_msg: statusMsg });
  }

  setDeviceState(state: DeviceState): Promise<unknown> {
    return this.request('PUT', `${UNSTABLE}/presence/device`, { state });
  }

  setAppearOffline(on: boolean): Promise<unknown> {
    return this.request('PUT', `${UNSTABLE}/presence/appear_offline`, { appear_offline: on });
  }

  ownPresence(): Promise<SelfPresence> {
    return this.request('GET', `${UNSTABLE}/presence`);
  }
}

/** The parts of a client event the web client reads. */
export interface RawEvent {
  type: string;
  sender: string;
  content: Record<string, unknown>;
  event_id?: string;
  state_key?: string;
  origin_server_ts?: number;
  unsigned?: { transaction_id?: string; [k: string]: unknown };
}

export interface SyncBody {
  next_batch: string;
  rooms?: {
    join?: Record<string, {
      state?: { events?: RawEvent[] };
      timeline?: { events?: RawEvent[]; limited?: boolean; prev_batch?: string };
    }>;
    invite?: Record<string, { invite_state?: { events?: RawEvent[] } }>;
    leave?: Record<string, unknown>;
  };
  presence?: { events?: RawEvent[] };
}
