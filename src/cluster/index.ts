export { ClusterLink, type LinkTargets } from './link.js';
export { SharedFeeds, SharedTyping } from './shared.js';
export { RedisUiaStore } from './redisUia.js';
