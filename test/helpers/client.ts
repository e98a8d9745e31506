/** A minimal Matrix client over fetch for integration tests: raw status and JSON, nothing hidden. */
export interface Reply<T = any> {
  status: number;
  body: T;
}

export class TestClient {
  userId = '';
  deviceId = '';
  accessToken = '';

  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, body?: unknown, opts: { token?: string | null; raw?: string } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const token = opts.token === undefined ? this.accessToken : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // Non-JSON bodies are returned as text so a test can assert on them.
    }
    return { status: res.status, body: parsed as T };
  }

  get<T = any>(path: string, opts?: { token?: string | null }) {
    return this.request<T>('GET', path, undefined, opts);
  }
  post<T = any>(path: string, body: unknown = {}, opts?: { token?: string | null }) {
    return this.request<T>('POST', path, body, opts);
  }
  put<T = any>(path: string, body: unknown = {}, opts?: { token?: string | null }) {
    return this.request<T>('PUT', path, body, opts);
  }
  delete<T = any>(path: string, body?: unknown, opts?: { token?: string | null }) {
    return this.request<T>('DELETE', path, body, opts);
  }

  /** Logs in with a password as a new device (or the given one) of an existing user. */
  static async login(baseUrl: string, user: string, password = 'correct horse', deviceId?: string): Promise<TestClient> {
    const c = new TestClient(baseUrl);
    const res = await c.post('/_matrix/client/v3/login', {
      type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, device_id: deviceId,
    }, { token: null });
    if (res.status !== 200) throw new Error(`login ${user}: ${res.status} ${JSON.stringify(res.body)}`);
    c.userId = res.body.user_id;
    c.deviceId = res.body.device_id;
    c.accessToken = res.body.access_token;
    return c;
  }

  /** Registers through the m.login.dummy flow and keeps the session. */
  async register(username: string, password = 'correct horse'): Promise<this> {
    const res = await this.post('/_matrix/client/v3/register', { username, password, auth: { type: 'm.login.dummy' } });
    if (res.status !== 200) throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    this.userId = res.body.user_id;
    this.deviceId = res.body.device_id;
    this.accessToken = res.body.access_token;
    return this;
  }

  async createRoom(body: Record<string, unknown> = {}): Promise<string> {
    const res = await this.post('/_matrix/client/v3/createRoom', body);
    if (res.status !== 200) throw new Error(`createRoom: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.room_id;
  }

  async join(roomIdOrAlias: string): Promise<void> {
    const res = await this.post(`/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}`, {});
    if (res.status !== 200) throw new Error(`join: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async send(roomId: string, body: string, txnId = `t${Math.random()}`): Promise<string> {
    const res = await this.put(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body });
    if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.event_id;
  }

  async sync(params: Record<string, string | number> = {}): Promise<Reply> {
    const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
    return this.get(`/_matrix/client/v3/sync?${q}`);
  }
}
