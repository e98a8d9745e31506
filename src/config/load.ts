import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Config, RateLimit } from './types.js';
import { defaultConfig } from './defaults.js';
import { ConfigError, bool, bytes, duration, int, num, oneOf, str } from './parse.js';

type Raw = Record<string, unknown>;

/** Command-line and environment overrides, applied over the file in that order: env, then flags. */
export interface ConfigOverrides {
  bind?: string;
  port?: string | number;
  serverName?: string;
  dataDir?: string;
}

/**
 * Environment variables an operator can set; each maps to one config key.
 * Documented in docs/configuration.md.
 */
export const ENV_KEYS: Record<string, string> = {
  PRESENCED_SERVER_NAME: 'server_name',
  PRESENCED_BIND: 'bind',
  PRESENCED_PORT: 'port',
  PRESENCED_DATA_DIR: 'data_dir',
  PRESENCED_PUBLIC_BASEURL: 'public_baseurl',
  PRESENCED_DATABASE_URL: 'database.url',
  PRESENCED_LOG_LEVEL: 'log_level',
  PRESENCED_REGISTRATION: 'registration',
  PRESENCED_REDIS_URL: 'redis.url',
  PRESENCED_REDIS_PREFIX: 'redis.prefix',
  PRESENCED_INSTANCE_NAME: 'instance_name',
};

/**
 * The keys each mapping accepts, by dotted path ('' is the top level). Every mapping is
 * checked: a key not listed is a ConfigError naming its full dotted path.
 */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': [
    'server_name', 'bind', 'port', 'listen_backlog', 'public_baseurl', 'data_dir', 'database', 'registration', 'log_level',
    'limits', 'rate_limits', 'presence', 'redis', 'instance_name', 'metrics',
  ],
  // url and schema are accepted (and ignored) with type sqlite, path with type postgres.
  database: ['type', 'path', 'synchronous', 'url', 'schema'],
  redis: ['url', 'prefix'],
  limits: ['max_body_size', 'max_displayname_length', 'max_sync_timeout'],
  rate_limits: ['login', 'register', 'send', 'presence'],
  'rate_limits.*': ['per_second', 'burst'],
  presence: [
    'enabled', 'idle_timeout', 'sync_online_timeout', 'last_active_granularity', 'sync_is_activity',
    'include_offline_users_on_sync', 'max_status_msg_length',
  ],
  metrics: ['enabled', 'bind', 'port'],
};

function checkKeys(m: Raw, path: string, known: readonly string[]): void {
  for (const k of Object.keys(m)) {
    if (!known.includes(k)) throw new ConfigError(path === '' ? k : `${path}.${k}`, 'unknown key');
  }
}

/** The mapping at `path` (dotted, a child of `raw`), {} when absent or null; rejects keys not in `known`. */
function section(raw: Raw, path: string, known: readonly string[]): Raw {
  const v = raw[path.split('.').pop()!];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(path, 'expected a mapping');
  checkKeys(v as Raw, path, known);
  return v as Raw;
}

function setPath(raw: Raw, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = raw;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Raw;
  }
  cur[parts[parts.length - 1]] = value;
}

function rateLimit(key: string, raw: Raw, dflt: RateLimit): RateLimit {
  const r = section(raw, key, KNOWN_KEYS['rate_limits.*']);
  return {
    perSecond: r.per_second === undefined ? dflt.perSecond : num(`${key}.per_second`, r.per_second, 0),
    burst: r.burst === undefined ? dflt.burst : int(`${key}.burst`, r.burst, 1),
  };
}

/** Turns the raw YAML mapping (snake_case) into a validated Config; throws ConfigError naming the key. */
export function buildConfig(raw: Raw): Config {
  checkKeys(raw, '', KNOWN_KEYS['']);
  const dataDir = raw.data_dir === undefined ? './data' : str('data_dir', raw.data_dir);
  const c = defaultConfig(dataDir);
  if (raw.server_name !== undefined) c.serverName = str('server_name', raw.server_name, /^[A-Za-z0-9.\-[\]:]+$/, 'a server name such as example.org');
  if (raw.bind !== undefined) c.bind = str('bind', raw.bind);
  if (raw.port !== undefined) c.port = int('port', raw.port, 0, 65535);
  if (raw.listen_backlog !== undefined) c.listenBacklog = int('listen_backlog', raw.listen_backlog, 1, 65535);
  if (raw.public_baseurl !== undefined) c.publicBaseUrl = str('public_baseurl', raw.public_baseurl, /^https?:\/\//, 'an http(s) URL');
  if (raw.registration !== undefined) c.registration = raw.registration === 'auto' ? 'auto' : bool('registration', raw.registration);
  if (raw.log_level !== undefined) c.logLevel = oneOf('log_level', raw.log_level, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);

  const db = section(raw, 'database', KNOWN_KEYS.database);
  const dbType = db.type === undefined ? (db.url ? 'postgres' : 'sqlite') : oneOf('database.type', db.type, ['sqlite', 'postgres'] as const);
  if (dbType === 'sqlite') {
    c.database = {
      type: 'sqlite',
      path: db.path === undefined ? join(dataDir, 'presenced.db') : str('database.path', db.path),
      synchronous: db.synchronous === undefined ? 'full' : oneOf('database.synchronous', db.synchronous, ['full', 'normal'] as const),
    };
  } else {
    c.database = {
      type: 'postgres',
      url: str('database.url', db.url, /^postgres(ql)?:\/\//, 'a postgres:// URL'),
      schema: db.schema === undefined ? 'public' : str('database.schema', db.schema, /^[a-z_][a-z0-9_]*$/, 'a schema name'),
    };
  }

  const redis = section(raw, 'redis', KNOWN_KEYS.redis);
  if (redis.url !== undefined) {
    c.redis = {
      url: str('redis.url', redis.url, /^rediss?:\/\//, 'a redis:// URL'),
      prefix: redis.prefix === undefined ? 'presenced' : str('redis.prefix', redis.prefix, /^[A-Za-z0-9_.:-]+$/, 'a key prefix'),
    };
    if (c.database.type !== 'postgres') throw new ConfigError('redis.url', 'several instances need database.type postgres');
  }
  if (raw.instance_name !== undefined) c.instanceName = str('instance_name', raw.instance_name, /^[A-Za-z0-9_.-]{1,64}$/, 'a short name');

  const limits = section(raw, 'limits', KNOWN_KEYS.limits);
  if (limits.max_body_size !== undefined) c.limits.maxBodyBytes = bytes('limits.max_body_size', limits.max_body_size);
  if (limits.max_displayname_length !== undefined) c.limits.maxDisplaynameLength = int('limits.max_displayname_length', limits.max_displayname_length, 1, 65536);
  if (limits.max_sync_timeout !== undefined) c.limits.maxSyncTimeoutMs = duration('limits.max_sync_timeout', limits.max_sync_timeout);

  const rl = section(raw, 'rate_limits', KNOWN_KEYS.rate_limits);
  c.rateLimits = {
    login: rateLimit('rate_limits.login', rl, c.rateLimits.login),
    register: rateLimit('rate_limits.register', rl, c.rateLimits.register),
    send: rateLimit('rate_limits.send', rl, c.rateLimits.send),
    presence: rateLimit('rate_limits.presence', rl, c.rateLimits.presence),
  };

  const p = section(raw, 'presence', KNOWN_KEYS.presence);
  const pc = c.presence;
  if (p.enabled !== undefined) pc.enabled = bool('presence.enabled', p.enabled);
  if (p.idle_timeout !== undefined) pc.idleTimeoutMs = duration('presence.idle_timeout', p.idle_timeout);
  if (p.sync_online_timeout !== undefined) pc.syncOnlineTimeoutMs = duration('presence.sync_online_timeout', p.sync_online_timeout);
  if (p.last_active_granularity !== undefined) pc.lastActiveGranularityMs = duration('presence.last_active_granularity', p.last_active_granularity);
  if (p.sync_is_activity !== undefined) pc.syncIsActivity = bool('presence.sync_is_activity', p.sync_is_activity);
  if (p.include_offline_users_on_sync !== undefined) pc.includeOfflineUsersOnSync = bool('presence.include_offline_users_on_sync', p.include_offline_users_on_sync);
  if (p.max_status_msg_length !== undefined) pc.maxStatusMsgLength = int('presence.max_status_msg_length', p.max_status_msg_length, 0, 65536);
  if (!(pc.lastActiveGranularityMs > 0)) throw new ConfigError('presence.last_active_granularity', 'must be greater than 0');
  if (!(pc.idleTimeoutMs > pc.lastActiveGranularityMs)) {
    throw new ConfigError('presence.idle_timeout', 'must be greater than presence.last_active_granularity');
  }
  if (!(pc.syncOnlineTimeoutMs > 0)) throw new ConfigError('presence.sync_online_timeout', 'must be greater than 0');

  const m = section(raw, 'metrics', KNOWN_KEYS.metrics);
  if (m.enabled !== undefined) c.metrics.enabled = bool('metrics.enabled', m.enabled);
  if (m.port !== undefined && m.port !== null) c.metrics.port = int('metrics.port', m.port, 0, 65535);
  if (m.bind !== undefined && m.bind !== null) {
    // A bind without a port would silently serve /metrics on the main listener instead.
    if (c.metrics.port === null) throw new ConfigError('metrics.bind', 'needs metrics.port (a separate listener)');
    c.metrics.bind = str('metrics.bind', m.bind);
  }
  if (c.metrics.port !== null && c.metrics.bind === null) c.metrics.bind = '127.0.0.1';
  return c;
}

/** Reads the YAML file (if any), then environment overrides, then command-line overrides. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env, flags: ConfigOverrides = {}): Config {
  let raw: Raw = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(file, `cannot read config file (${(e as Error).message})`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw new ConfigError(file, `invalid YAML (${(e as Error).message.split('\n')[0]})`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(file, 'the top level must be a mapping');
      raw = parsed as Raw;
    }
  }
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    if (env[name] !== undefined && env[name] !== '') setPath(raw, key, env[name]);
  }
  if (flags.bind !== undefined) raw.bind = flags.bind;
  if (flags.port !== undefined) raw.port = flags.port;
  if (flags.serverName !== undefined) raw.server_name = flags.serverName;
  if (flags.dataDir !== undefined) raw.data_dir = flags.dataDir;
  return buildConfig(raw);
}

export function isLoopback(bind: string): boolean {
  return bind === 'localhost' || bind === '::1' || /^127\./.test(bind);
}

export function registrationOpen(c: Config): boolean {
  return c.registration === 'auto' ? isLoopback(c.bind) : c.registration;
}
