export { ServerMetrics, type PresenceCensus, type UserWaker, type MetricsOptions } from './metrics.js';
export { DEFAULT_FLAP_RULE, type FlapRule } from './flaps.js';
export { metricsRoute, listenMetrics, type MetricsListener, type Scrapable } from './http.js';
