import type { Redis } from 'ioredis';
import type { Clock } from '../common/clock.js';
import { limitExceeded } from '../common/errors.js';
import type { RateLimit } from '../config/index.js';
import type { RateLimiter } from './rateLimit.js';

// One atomic token-bucket step per call: refill by elapsed time, take a token or say how long to wait.
const SCRIPT = `
local b = redis.call('HMGET', KEYS[1], 't', 'u')
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local tokens = tonumber(b[1]) or burst
local updated = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else
  if rate > 0 then wait = math.ceil((1 - tokens) / rate * 1000) else wait = 60000 end
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / math.max(rate, 0.001) * 1000) + 1000)
return wait
`;

/** The same buckets as LocalRateLimiter, kept in Redis so every instance shares them. */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    private readonly limit: RateLimit,
    private readonly keyPrefix: string,
  ) {}

  async take(key: string): Promise<void> {
    let wait: number;
    try {
      wait = Number(await this.redis.eval(SCRIPT, 1, `${this.keyPrefix}:${key}`, this.limit.burst, this.limit.perSecond, this.clock.now()));
    } catch {
      // Without Redis the limit cannot be shared; refusing service would be worse than not limiting.
      return;
    }
    if (wait > 0) throw limitExceeded(wait);
  }
}

