import type { Redis } from 'ioredis';
import type { UiaStore } from '../users/uia.js';

/** UIA sessions in Redis, so a flow's second request may reach any instance. */
export class RedisUiaStore implements UiaStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  async get(sessionId: string) {
    const text = await this.redis.get(this.key(sessionId));
    if (text === null) return undefined;
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined;
  }

  async put(sessionId: string, completed: string[], ttlMs: number) {
    await this.redis.set(this.key(sessionId), JSON.stringify(completed), 'PX', ttlMs);
  }

  async delete(sessionId: string) {
    await this.redis.del(this.key(sessionId));
  }

  private key(sessionId: string) {
    return `${this.prefix}:uia:${sessionId}`;
  }
}
