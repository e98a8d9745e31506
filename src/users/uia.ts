import { randomBytes } from 'node:crypto';
import { MatrixError } from '../common/errors.js';
import type { Clock } from '../common/clock.js';

export type Flow = { stages: string[] };

const SESSION_TTL_MS = 15 * 60_000;

/** The 401 of user-interactive auth: its body is the flows, with errcode only after a failed stage. */
export class UiaRequired extends MatrixError {
  constructor(private readonly body: Record<string, unknown>) {
    super(401, typeof body.errcode === 'string' ? body.errcode : 'M_FORBIDDEN', typeof body.error === 'string' ? body.error : 'Additional authentication is required');
  }

  override toJSON(): Record<string, unknown> {
    return this.body;
  }
}

/**
 * Where UIA sessions live: their completed stages, until a flow completes or the TTL
 * passes. In memory for one process; in Redis when several instances share the clients
 * (the second request of a flow may reach another instance).
 */
export interface UiaStore {
  get(sessionId: string): Promise<string[] | undefined>;
  put(sessionId: string, completed: string[], ttlMs: number): Promise<void>;
  delete(sessionId: string): Promise<void>;
}

export class MemoryUiaStore implements UiaStore {
  private readonly sessions = new Map<string, { completed: string[]; expiresAt: number }>();

  constructor(private readonly clock: Clock) {}

  async get(sessionId: string) {
    this.expire();
    return this.sessions.get(sessionId)?.completed;
  }

  async put(sessionId: string, completed: string[], ttlMs: number) {
    this.sessions.set(sessionId, { completed, expiresAt: this.clock.now() + ttlMs });
  }

  async delete(sessionId: string) {
    this.sessions.delete(sessionId);
  }

  private expire() {
    const now = this.clock.now();
    for (const [id, s] of this.sessions) if (s.expiresAt < now) this.sessions.delete(id);
  }
}

/**
 * User-interactive authentication: remembers completed stages per session and answers
 * 401 with the flows until one flow is complete.
 */
export class UiaSessions {
  private readonly store: UiaStore;

  constructor(clock: Clock, store?: UiaStore) {
    this.store = store ?? new MemoryUiaStore(clock);
  }

  /**
   * Checks `auth` against the flows; `checkStage` verifies one stage's credentials and
   * throws on failure. Resolves when some flow is complete; throws the 401 otherwise.
   */
  async check(auth: unknown, flows: Flow[], checkStage: (type: string, auth: Record<string, unknown>) => Promise<void>): Promise<void> {
    const a = auth && typeof auth === 'object' && !Array.isArray(auth) ? (auth as Record<string, unknown>) : undefined;
    let sessionId = typeof a?.session === 'string' ? a.session : undefined;
    const known = sessionId ? await this.store.get(sessionId) : undefined;
    if (!known || !sessionId) sessionId = randomBytes(12).toString('base64url');
    const completed = new Set(known ?? []);
    let stageError: MatrixError | undefined;
    if (a && typeof a.type === 'string') {
      const allowed = flows.some((f) => f.stages.includes(a.type as string));
      if (!allowed) {
        stageError = new MatrixError(400, 'M_UNRECOGNIZED', `Unknown auth stage ${a.type}`);
      } else {
        try {
          await checkStage(a.type, a);
          completed.add(a.type);
        } catch (e) {
          if (!(e instanceof MatrixError)) throw e;
          stageError = e;
        }
      }
    }
    if (flows.some((f) => f.stages.every((s) => completed.has(s)))) {
      await this.store.delete(sessionId);
      return;
    }
    await this.store.put(sessionId, [...completed], SESSION_TTL_MS);
    const body: Record<string, unknown> = {
      flows,
      params: {},
      session: sessionId,
      completed: [...completed],
    };
    if (stageError) {
      body.errcode = stageError.errcode;
      body.error = stageError.message;
    }
    throw new UiaRequired(body);
  }
}
