export type { Bus, BusMessage } from './types.js';
export { LocalBus } from './local.js';
export { RedisBus, redisClient, type RedisBusOptions } from './redis.js';
