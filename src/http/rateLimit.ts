import type { Clock } from '../common/clock.js';
import { limitExceeded } from '../common/errors.js';
import type { RateLimit } from '../config/index.js';

interface Bucket {
  tokens: number;
  updated: number;
}

/** Takes one request's token for a key, or throws 429 M_LIMIT_EXCEEDED with retry_after_ms. */
export interface RateLimiter {
  take(key: string): Promise<void>;
}

/** Token buckets per key, in this process (one instance, or per-instance limits). */
export class LocalRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock, private readonly limit: RateLimit) {}

  async take(key: string): Promise<void> {
    this.takeNow(key);
  }

  /** Synchronous form, for callers outside a request. */
  takeNow(key: string): void {
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 100_000) this.prune(now);
      b = { tokens: this.limit.burst, updated: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.updated) / 1000) * this.limit.perSecond);
    b.updated = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    const waitMs = this.limit.perSecond > 0 ? Math.ceil(((1 - b.tokens) / this.limit.perSecond) * 1000) : 60_000;
    throw limitExceeded(waitMs);
  }

  private prune(now: number) {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.updated) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(k);
    }
  }
}
