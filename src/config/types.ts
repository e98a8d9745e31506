/** The validated, defaulted configuration every module receives (camelCase inside). */
export interface RateLimit {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests allowed in a burst before the sustained rate applies. */
  burst: number;
}

export type DatabaseConfig =
  | { type: 'sqlite'; path: string; synchronous: 'full' | 'normal' }
  | { type: 'postgres'; url: string; schema: string };

export interface PresenceConfig {
  enabled: boolean;
  idleTimeoutMs: number;
  syncOnlineTimeoutMs: number;
  lastActiveGranularityMs: number;
  syncIsActivity: boolean;
  includeOfflineUsersOnSync: boolean;
  maxStatusMsgLength: number;
}

/** Several instances share state through Redis (and PostgreSQL); absent: one process. */
export interface RedisConfig {
  url: string;
  /** Prefix of every Redis key and channel. */
  prefix: string;
}

/** Prometheus /metrics (docs/configuration.md). */
export interface MetricsConfig {
  enabled: boolean;
  /** Separate listener's address; null with port null: /metrics is on the main listener. */
  bind: string | null;
  /** Separate listener's port; null: /metrics is served on the main listener. */
  port: number | null;
}

export interface Config {
  serverName: string;
  bind: string;
  port: number;
  /** Connections the kernel queues before they are accepted (capped by net.core.somaxconn). */
  listenBacklog: number;
  publicBaseUrl: string;
  dataDir: string;
  database: DatabaseConfig;
  redis: RedisConfig | null;
  /** Name of this instance in logs and cluster bookkeeping; random when absent. */
  instanceName: string | null;
  /** Open registration with m.login.dummy; 'auto' means only while bound to loopback. */
  registration: 'auto' | boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  limits: {
    maxBodyBytes: number;
    maxDisplaynameLength: number;
    maxSyncTimeoutMs: number;
  };
  rateLimits: {
    login: RateLimit;
    register: RateLimit;
    send: RateLimit;
    presence: RateLimit;
  };
  presence: PresenceConfig;
  metrics: MetricsConfig;
}
