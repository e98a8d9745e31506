export { buildApp, type App, type AppOptions } from './app.js';
export { authenticator, bearerToken, tokenOf, type Authenticator } from './auth.js';
export { FastRoutes, type FastHandler, type FastReply } from './fastRoutes.js';
export { QueryParser } from './query.js';
export { LocalRateLimiter, type RateLimiter } from './rateLimit.js';
export { toMatrixError } from './errors.js';
export { RedisRateLimiter } from './redisRateLimit.js';
