import type { Config } from './types.js';
import { join } from 'node:path';

export function defaultConfig(dataDir = './data'): Config {
  return {
    serverName: 'localhost',
    bind: '127.0.0.1',
    port: 8008,
    listenBacklog: 4096,
    publicBaseUrl: '',
    dataDir,
    database: { type: 'sqlite', path: join(dataDir, 'presenced.db'), synchronous: 'full' },
    redis: null,
    instanceName: null,
    registration: 'auto',
    logLevel: 'info',
    limits: { maxBodyBytes: 1024 * 1024, maxDisplaynameLength: 256, maxSyncTimeoutMs: 5 * 60_000 },
    rateLimits: {
      login: { perSecond: 0.5, burst: 10 },
      register: { perSecond: 0.5, burst: 20 },
      send: { perSecond: 10, burst: 50 },
      presence: { perSecond: 10, burst: 50 },
    },
    presence: {
      enabled: true,
      idleTimeoutMs: 5 * 60_000,
      syncOnlineTimeoutMs: 30_000,
      lastActiveGranularityMs: 60_000,
      syncIsActivity: false,
      includeOfflineUsersOnSync: false,
      maxStatusMsgLength: 256,
    },
    metrics: { enabled: true, bind: null, port: null },
  };
}
