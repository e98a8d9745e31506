import { randomBytes } from 'node:crypto';
import { MatrixError } from '../common/errors.js';
import type { Clock } from '../common/clock.js';

export type Flow = { stages: string[] };

interface Session {
  completed: Set<string>;
  expiresAt: number;
}

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
 * User-interactive authentication: remembers completed stages per session and answers
 * 401 with the flows until one flow is complete.
 */
export class UiaSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly clock: Clock) {}

  /**
   * Checks `auth` against the flows; `checkStage` verifies one stage's credentials and
   * throws on failure. Resolves when some flow is complete; throws the 401 otherwise.
   */
  async check(auth: unknown, flows: Flow[], checkStage: (type: string, auth: Record<string, unknown>) => Promise<void>): Promise<void> {
    this.expire();
    const a = auth && typeof auth === 'object' && !Array.isArray(auth) ? (auth as Record<string, unknown>) : undefined;
    let sessionId = typeof a?.session === 'string' ? a.session : undefined;
    let session = sessionId ? this.sessions.get(sessionId) : undefined;
    if (!session || !sessionId) {
      sessionId = randomBytes(12).toString('base64url');
      session = { completed: new Set(), expiresAt: this.clock.now() + SESSION_TTL_MS };
      this.sessions.set(sessionId, session);
    }
    let stageError: MatrixError | undefined;
    if (a && typeof a.type === 'string') {
      const allowed = flows.some((f) => f.stages.includes(a.type as string));
      if (!allowed) {
        stageError = new MatrixError(400, 'M_UNRECOGNIZED', `Unknown auth stage ${a.type}`);
      } else {
        try {
          await checkStage(a.type, a);
          session.completed.add(a.type);
        } catch (e) {
          if (!(e instanceof MatrixError)) throw e;
          stageError = e;
        }
      }
    }
    if (flows.some((f) => f.stages.every((s) => session.completed.has(s)))) {
      this.sessions.delete(sessionId);
      return;
    }
    const body: Record<string, unknown> = {
      flows,
      params: {},
      session: sessionId,
      completed: [...session.completed],
    };
    if (stageError) {
      body.errcode = stageError.errcode;
      body.error = stageError.message;
    }
    throw new UiaRequired(body);
  }

  private expire() {
    const now = this.clock.now();
    for (const [id, s] of this.sessions) if (s.expiresAt < now) this.sessions.delete(id);
  }
}
