import type { Redis } from 'ioredis';
import { MatrixError } from '../common/errors.js';
import type { UiaStore } from '../users/uia.js';

/** Redis away: the client retries the registration step later, rather than seeing a 500. */
async function guarded<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch {
    throw new MatrixError(503, 'M_UNKNOWN', 'Session storage is unavailable; retry later', { retry_after_ms: 1000 });
  }
}

/** UIA sessions in Redis, so a flow's second request may reach any instance. */
export class RedisUiaStore implements UiaStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  async get(sessionId: string) {
    const text = await guarded(this.redis.get(this.key(sessionId)));
    if (text === null) return undefined;
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined;
  }

  async put(sessionId: string, completed: string[], ttlMs: number) {
    await guarded(this.redis.set(this.key(sessionId), JSON.stringify(completed), 'PX', ttlMs));
  }

  async delete(sessionId: string) {
    await guarded(this.redis.del(this.key(sessionId)));
  }

  private key(sessionId: string) {
    return `${this.prefix}:uia:${sessionId}`;
  }
}
