export { buildApp, type App, type AppOptions } from './app.js';
export { authenticator, tokenOf, type Authenticator } from './auth.js';
export { LocalRateLimiter, type RateLimiter } from './rateLimit.js';
export { toMatrixError } from './errors.js';
export { RedisRateLimiter } from './redisRateLimit.js';
