import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildConfig, ConfigError, generateConfigYaml, loadConfig, registrationOpen } from '../../../src/config/index.js';

describe('config', () => {
  test('defaults: localhost on 127.0.0.1:8008 with SQLite in ./data', () => {
    const c = buildConfig({});
    assert.equal(c.serverName, 'localhost');
    assert.equal(c.bind, '127.0.0.1');
    assert.equal(c.port, 8008);
    assert.equal(c.listenBacklog, 4096);
    assert.deepEqual(c.database, { type: 'sqlite', path: join('./data', 'presenced.db'), synchronous: 'full' });
    assert.equal(c.presence.idleTimeoutMs, 300_000);
    assert.equal(c.presence.syncOnlineTimeoutMs, 30_000);
    assert.equal(c.presence.lastActiveGranularityMs, 60_000);
  });

  test('durations and sizes accept units', () => {
    const c = buildConfig({ presence: { idle_timeout: '2m', last_active_granularity: '500ms', sync_online_timeout: 10 }, limits: { max_body_size: '64K' } });
    assert.equal(c.presence.idleTimeoutMs, 120_000);
    assert.equal(c.presence.lastActiveGranularityMs, 500);
    assert.equal(c.presence.syncOnlineTimeoutMs, 10);
    assert.equal(c.limits.maxBodyBytes, 64 * 1024);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['idle_timeout must exceed last_active_granularity', { presence: { idle_timeout: '30s', last_active_granularity: '60s' } }, /^presence\.idle_timeout: must be greater than presence\.last_active_granularity/],
    ['last_active_granularity must be > 0', { presence: { last_active_granularity: 0 } }, /^presence\.last_active_granularity: must be greater than 0/],
    ['port out of range', { port: 70000 }, /^port: expected an integer from 0 to 65535/],
    ['listen_backlog of 0', { listen_backlog: 0 }, /^listen_backlog: expected an integer from 1 to 65535/],
    ['listen_backlog not a number', { listen_backlog: 'big' }, /^listen_backlog: expected an integer/],
    ['unknown top-level key', { prescence: {} }, /^prescence: unknown key/],
    ['bad duration', { presence: { idle_timeout: 'soon' } }, /^presence\.idle_timeout: expected a duration/],
    ['bad boolean', { presence: { enabled: 'maybe' } }, /^presence\.enabled: expected true or false/],
    ['bad database type', { database: { type: 'mysql' } }, /^database\.type: expected one of sqlite, postgres/],
    ['bad server name', { server_name: 'not a name' }, /^server_name: expected a server name/],
    // Misspelled keys inside every section are rejected with their full dotted path.
    ['misspelled presence key', { presence: { idle_timout: '1s' } }, /^presence\.idle_timout: unknown key$/],
    ['misspelled presence key next to valid ones', { presence: { enabled: true, sync_is_activty: true } }, /^presence\.sync_is_activty: unknown key$/],
    ['misspelled limits key', { limits: { max_bdy_size: 1 } }, /^limits\.max_bdy_size: unknown key$/],
    ['misspelled database key (sqlite)', { database: { type: 'sqlite', synchronus: 'normal' } }, /^database\.synchronus: unknown key$/],
    ['misspelled database key (postgres)', { database: { url: 'postgres://u@h/db', shema: 'x' } }, /^database\.shema: unknown key$/],
    ['misspelled redis key', { database: { url: 'postgres://u@h/db' }, redis: { url: 'redis://h', prefx: 'p' } }, /^redis\.prefx: unknown key$/],
    ['misspelled redis key without url', { redis: { ulr: 'redis://h' } }, /^redis\.ulr: unknown key$/],
    ['unknown rate limit name', { rate_limits: { logins: { burst: 1 } } }, /^rate_limits\.logins: unknown key$/],
    ['misspelled rate_limits.login key', { rate_limits: { login: { per_sec: 1 } } }, /^rate_limits\.login\.per_sec: unknown key$/],
    ['misspelled rate_limits.register key', { rate_limits: { register: { brust: 1 } } }, /^rate_limits\.register\.brust: unknown key$/],
    ['misspelled rate_limits.send key', { rate_limits: { send: { per_second: 1, bursts: 2 } } }, /^rate_limits\.send\.bursts: unknown key$/],
    ['misspelled rate_limits.presence key', { rate_limits: { presence: { persecond: 1 } } }, /^rate_limits\.presence\.persecond: unknown key$/],
    ['a top-level key inside a section', { presence: { port: 8008 } }, /^presence\.port: unknown key$/],
    ['a section that is not a mapping', { limits: 5 }, /^limits: expected a mapping/],
    ['a rate limit entry that is not a mapping', { rate_limits: { login: 5 } }, /^rate_limits\.login: expected a mapping/],
  ];
  for (const [name, raw, re] of bad) {
    test(`a bad config names the key and the reason: ${name}`, () => {
      assert.throws(() => buildConfig(raw), (e: unknown) => e instanceof ConfigError && re.test(e.message));
    });
  }

  test('precedence: file < environment < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'presenced-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'port: 1000\nserver_name: file.example\nbind: 127.0.0.2\n');
    const c = loadConfig(file, { PRESENCED_PORT: '2000', PRESENCED_SERVER_NAME: 'env.example' }, { port: '3000' });
    assert.equal(c.port, 3000);
    assert.equal(c.serverName, 'env.example');
    assert.equal(c.bind, '127.0.0.2');
  });

  test('an unreadable or invalid YAML file is a ConfigError naming the file', () => {
    assert.throws(() => loadConfig('/nonexistent/presenced.yaml', {}), /\/nonexistent\/presenced\.yaml: cannot read config file/);
    const dir = mkdtempSync(join(tmpdir(), 'presenced-cfg-'));
    writeFileSync(join(dir, 'bad.yaml'), 'port: [1,\n');
    assert.throws(() => loadConfig(join(dir, 'bad.yaml'), {}), /invalid YAML/);
  });

  test('registration is open by default only on loopback', () => {
    assert.equal(registrationOpen(buildConfig({ bind: '127.0.0.1' })), true);
    assert.equal(registrationOpen(buildConfig({ bind: '::1' })), true);
    assert.equal(registrationOpen(buildConfig({ bind: '0.0.0.0' })), false);
    assert.equal(registrationOpen(buildConfig({ bind: '0.0.0.0', registration: true })), true);
    assert.equal(registrationOpen(buildConfig({ bind: '127.0.0.1', registration: false })), false);
  });

  test('the generated config file parses back to the defaults', () => {
    const raw = parse(generateConfigYaml()) as Record<string, unknown>;
    assert.deepEqual(buildConfig(raw), buildConfig({}));
  });

  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tempFile = (name: string, text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'presenced-cfg-'));
    dirs.push(dir);
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  test('the generated config file, written to disk, loads cleanly with its server name and data dir', () => {
    const file = tempFile('gen.yaml', generateConfigYaml({ serverName: 'gen.example', dataDir: '/tmp/presenced-gen' }));
    const c = loadConfig(file, {});
    assert.equal(c.serverName, 'gen.example');
    assert.equal(c.dataDir, '/tmp/presenced-gen');
    assert.deepEqual(c.database, { type: 'sqlite', path: join('/tmp/presenced-gen', 'presenced.db'), synchronous: 'full' });
    assert.deepEqual({ ...c, serverName: 'x', dataDir: 'x', database: null }, { ...buildConfig({}), serverName: 'x', dataDir: 'x', database: null });
  });

  test('the generated config file still loads with its commented-out sqlite keys switched on', () => {
    const text = generateConfigYaml()
      .replace(/^# (public_baseurl: .*)$/m, '$1')
      .replace(/^ {2}# (path: .*)$/m, '  $1');
    assert.match(text, /^public_baseurl: https:/m);
    assert.match(text, /^ {2}path: /m);
    const c = loadConfig(tempFile('gen.yaml', text), {});
    assert.equal(c.publicBaseUrl, 'https://matrix.example.org');
    assert.deepEqual(c.database, { type: 'sqlite', path: './data/presenced.db', synchronous: 'full' });
  });

  test('the generated config file loads with its commented-out postgres keys in place of the sqlite ones', () => {
    const text = generateConfigYaml()
      .replace(/^ {2}type: sqlite\n/m, '')
      .replace(/^ {2}synchronous: full\n/m, '')
      .replace(/^ {2}# ((?:type|url|schema): .*)$/gm, '  $1');
    const c = loadConfig(tempFile('gen.yaml', text), {});
    assert.deepEqual(c.database, { type: 'postgres', url: 'postgres://user@127.0.0.1:5432/presenced', schema: 'public' });
  });

  test('every valid key, in every section, is accepted', () => {
    const c = buildConfig({
      server_name: 'example.org',
      bind: '0.0.0.0',
      port: 8448,
      listen_backlog: 1024,
      public_baseurl: 'https://matrix.example.org',
      data_dir: '/var/lib/presenced',
      database: { type: 'postgres', path: '/ignored.db', synchronous: 'normal', url: 'postgres://u@h/db', schema: 'presenced' },
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'pd' },
      instance_name: 'a-1',
      registration: false,
      log_level: 'warn',
      limits: { max_body_size: '2M', max_displayname_length: 100, max_sync_timeout: '1m' },
      rate_limits: {
        login: { per_second: 1, burst: 2 },
        register: { per_second: 3, burst: 4 },
        send: { per_second: 5, burst: 6 },
        presence: { per_second: 7, burst: 8 },
      },
      presence: {
        enabled: false,
        idle_timeout: '10m',
        sync_online_timeout: '45s',
        last_active_granularity: '30s',
        sync_is_activity: true,
        include_offline_users_on_sync: true,
        max_status_msg_length: 100,
      },
    });
    assert.deepEqual(c.database, { type: 'postgres', url: 'postgres://u@h/db', schema: 'presenced' });
    assert.deepEqual(c.redis, { url: 'redis://127.0.0.1:6379', prefix: 'pd' });
    assert.equal(c.instanceName, 'a-1');
    assert.equal(c.listenBacklog, 1024);
    assert.deepEqual(c.limits, { maxBodyBytes: 2 * 1024 * 1024, maxDisplaynameLength: 100, maxSyncTimeoutMs: 60_000 });
    assert.deepEqual(c.rateLimits.presence, { perSecond: 7, burst: 8 });
    assert.deepEqual(c.presence, {
      enabled: false, idleTimeoutMs: 600_000, syncOnlineTimeoutMs: 45_000, lastActiveGranularityMs: 30_000,
      syncIsActivity: true, includeOfflineUsersOnSync: true, maxStatusMsgLength: 100,
    });
    // With sqlite, the postgres-only keys are still accepted (and ignored).
    assert.equal(buildConfig({ database: { type: 'sqlite', url: 'postgres://u@h/db', schema: 'x' } }).database.type, 'sqlite');
  });

  test('a misspelled section key from the file is reported by loadConfig', () => {
    const file = tempFile('typo.yaml', 'presence:\n  idle_timout: 1s\n');
    assert.throws(() => loadConfig(file, {}), (e: unknown) => e instanceof ConfigError && e.message === 'presence.idle_timout: unknown key');
  });

  test('environment variables for section keys pass the section check', () => {
    const c = loadConfig(undefined, { PRESENCED_DATABASE_URL: 'postgres://u@h/db', PRESENCED_REDIS_URL: 'redis://h', PRESENCED_REDIS_PREFIX: 'pfx' });
    assert.equal(c.database.type, 'postgres');
    assert.deepEqual(c.redis, { url: 'redis://h', prefix: 'pfx' });
  });

  test('every YAML example in docs/configuration.md loads', () => {
    const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.length >= 3, `found ${blocks.length} yaml blocks`);
    for (const b of blocks) assert.doesNotThrow(() => buildConfig(parse(b) as Record<string, unknown>), b);
  });
});
