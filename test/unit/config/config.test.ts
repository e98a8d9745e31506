import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
    ['unknown top-level key', { prescence: {} }, /^prescence: unknown key/],
    ['bad duration', { presence: { idle_timeout: 'soon' } }, /^presence\.idle_timeout: expected a duration/],
    ['bad boolean', { presence: { enabled: 'maybe' } }, /^presence\.enabled: expected true or false/],
    ['bad database type', { database: { type: 'mysql' } }, /^database\.type: expected one of sqlite, postgres/],
    ['bad server name', { server_name: 'not a name' }, /^server_name: expected a server name/],
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
});
