/**
 * The operator's entry point, `presenced <command>` (src/cli/main.ts), run as a child
 * process exactly as a shell would: generate-config, serve (start, answer, SIGTERM),
 * register-user, and the exit status and message of a bad configuration.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanEnv, CLI, ROOT, scratch, within } from '../helpers/processes.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { openStorage } from '../../src/storage/index.js';

/** Upper bound on any one CLI run, and on serve becoming ready (tsx compiles on start). */
const DEADLINE_MS = 30_000;

const { children, tempDir } = scratch('presenced-cli-');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Child {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

function spawnCli(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<Exit>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { proc, stdout: () => out, stderr: () => err, exited };
}

interface Run extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs a command that ends by itself (generate-config, register-user, a failing serve). */
async function runCli(...args: string[]): Promise<Run> {
  const c = spawnCli(args);
  try {
    const exit = await within(c.exited, DEADLINE_MS, `presenced ${args.join(' ')}`);
    return { ...exit, stdout: c.stdout(), stderr: c.stderr() };
  } finally {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  }
}

interface Serving extends Child {
  url: string;
  /** Sends SIGTERM and waits (bounded) for the process to exit. */
  stop(): Promise<Exit>;
}

/** Starts `presenced serve` and waits for its `presenced listening` log line, which carries the address. */
async function serve(...args: string[]): Promise<Serving> {
  const c = spawnCli(['serve', ...args]);
  const listening = new Promise<string>((resolve, reject) => {
    let buffered = '';
    c.proc.stdout!.on('data', (s: string) => {
      buffered += s;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as { msg?: string; address?: string };
          if (rec.msg === 'presenced listening' && rec.address) resolve(rec.address);
        } catch {
          // Not a log record; keep reading.
        }
      }
    });
    void c.exited.then((e) => reject(new Error(`serve exited (${e.code ?? e.signal}) before listening: ${c.stderr()}`)));
  });
  let url: string;
  try {
    url = await within(listening, DEADLINE_MS, 'serve listening');
  } catch (e) {
    c.proc.kill('SIGKILL');
    throw e;
  }
  return {
    ...c,
    url,
    async stop() {
      c.proc.kill('SIGTERM');
      return within(c.exited, DEADLINE_MS, 'serve exit after SIGTERM');
    },
  };
}

function serveFlags(dataDir: string): string[] {
  return ['--bind', '127.0.0.1', '--port', '0', '--server-name', 'cli.test', '--data-dir', dataDir];
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe('presenced generate-config', () => {
  test('-o FILE writes a commented YAML file (mode 0600) that loads', async () => {
    const file = join(tempDir(), 'presenced.yaml');
    const r = await runCli('generate-config', '-o', file, '--server-name', 'gen.test', '--data-dir', '/tmp/presenced-gen');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `wrote ${file}\n`);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^# presenced configuration/);
    assert.match(text, /^server_name: gen\.test$/m);
    assert.match(text, /^presence:$/m);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const c = loadConfig(file, {});
    assert.equal(c.serverName, 'gen.test');
    assert.equal(c.dataDir, '/tmp/presenced-gen');
    assert.equal(c.port, 8008);
  });

  test('refuses to overwrite an existing file without --force', async () => {
    const file = join(tempDir(), 'presenced.yaml');
    writeFileSync(file, 'port: 1\n');
    const r = await runCli('generate-config', '-o', file);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exists; pass --force to overwrite/);
    assert.equal(readFileSync(file, 'utf8'), 'port: 1\n');
    const forced = await runCli('generate-config', '-o', file, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(loadConfig(file, {}).port, 8008);
  });

  test('the generated file is accepted by serve', async () => {
    const dir = tempDir();
    const file = join(dir, 'presenced.yaml');
    assert.equal((await runCli('generate-config', '-o', file)).code, 0);
    const s = await serve('--config', file, ...serveFlags(join(dir, 'data')));
    try {
      assert.equal((await getJson(`${s.url}/_matrix/client/versions`)).status, 200);
    } finally {
      assert.equal((await s.stop()).code, 0, s.stderr());
    }
  });
});

describe('presenced serve', () => {
  test('starts, answers GET /_matrix/client/versions, and exits 0 on SIGTERM', async () => {
    const dataDir = join(tempDir(), 'data');
    const s = await serve(...serveFlags(dataDir));
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(s.url).port, '0');
    const v = await getJson(`${s.url}/_matrix/client/versions`);
    assert.equal(v.status, 200);
    assert.ok(Array.isArray(v.body.versions) && v.body.versions.length > 0, JSON.stringify(v.body));
    assert.ok(existsSync(join(dataDir, 'presenced.db')), 'database created in --data-dir');
    assert.ok(existsSync(join(dataDir, 'signing.key')), 'signing key created in --data-dir');
    const exit = await s.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, s.stderr());
    assert.match(s.stdout(), /"msg":"stopping"/);
  });

  const badConfigs: [string, string, RegExp][] = [
    ['a bad port', 'port: abc\n', /^config error: port: expected an integer from 0 to 65535, got "abc"$/m],
    ['a misspelled section key', 'presence:\n  idle_timout: 1s\n', /^config error: presence\.idle_timout: unknown key$/m],
    ['a misspelled rate limit key', 'rate_limits:\n  login: { per_second: 1, brust: 2 }\n', /^config error: rate_limits\.login\.brust: unknown key$/m],
    ['an unknown top-level key', 'prescence: {}\n', /^config error: prescence: unknown key$/m],
  ];
  for (const [name, yaml, re] of badConfigs) {
    test(`a config file with ${name} makes serve exit 1 naming the key`, async () => {
      const dir = tempDir();
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, yaml);
      // No --port flag: it would override the file's port.
      const r = await runCli('serve', '--config', file, '--bind', '127.0.0.1', '--data-dir', join(dir, 'data'));
      assert.equal(r.code, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.ok(!r.stdout.includes('presenced listening'), 'must not start listening');
    });
  }

  test('a bad --port flag makes serve exit 1 naming the key', async () => {
    const dir = tempDir();
    const r = await runCli('serve', '--bind', '127.0.0.1', '--port', 'abc', '--data-dir', join(dir, 'data'));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^config error: port: expected an integer/m);
  });

  test('a missing config file makes serve exit 1 naming the file', async () => {
    const file = join(tempDir(), 'missing.yaml');
    const r = await runCli('serve', '--config', file, '--port', '0');
    assert.equal(r.code, 1);
    assert.ok(r.stderr.startsWith(`config error: ${file}: cannot read config file`), r.stderr);
  });
});

describe('presenced register-user', () => {
  test('creates an account (and an admin) that can log in through serve', async () => {
    const dataDir = join(tempDir(), 'data');
    const flags = ['--server-name', 'cli.test', '--data-dir', dataDir];

    const plain = await runCli('register-user', '--user', 'alice', '--password', 'alice-secret-1', ...flags);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, 'created @alice:cli.test\n');
    const admin = await runCli('register-user', '--user', '@root:cli.test', '--password', 'root-secret-1', '--admin', ...flags);
    assert.equal(admin.code, 0, admin.stderr);
    assert.equal(admin.stdout, 'created @root:cli.test (admin)\n');

    const storage = await openStorage({ type: 'sqlite', path: join(dataDir, 'presenced.db'), synchronous: 'normal' });
    try {
      assert.equal((await storage.users.getUser('@alice:cli.test'))?.isAdmin, false);
      assert.equal((await storage.users.getUser('@root:cli.test'))?.isAdmin, true);
    } finally {
      await storage.close();
    }

    const dup = await runCli('register-user', '--user', 'alice', '--password', 'other', ...flags);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^error: M_USER_IN_USE: /m);

    const s = await serve(...serveFlags(dataDir));
    try {
      for (const [user, password] of [['alice', 'alice-secret-1'], ['root', 'root-secret-1']]) {
        const login = await postJson(`${s.url}/_matrix/client/v3/login`, {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user },
          password,
        });
        assert.equal(login.status, 200, JSON.stringify(login.body));
        assert.equal(login.body.user_id, `@${user}:cli.test`);
        assert.equal(typeof login.body.access_token, 'string');
        const who = await fetch(`${s.url}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${login.body.access_token}` } });
        assert.equal(who.status, 200);
        assert.equal(((await who.json()) as { user_id: string }).user_id, `@${user}:cli.test`);
      }
      const wrong = await postJson(`${s.url}/_matrix/client/v3/login`, {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'alice' },
        password: 'not-the-password',
      });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.errcode, 'M_FORBIDDEN');
    } finally {
      assert.equal((await s.stop()).code, 0, s.stderr());
    }
  });

  test('without --password exits 1', async () => {
    const r = await runCli('register-user', '--user', 'bob', '--data-dir', join(tempDir(), 'data'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: register-user needs --user and --password$/m);
  });
});

describe('presenced (no or unknown command)', () => {
  test('an unknown command prints the usage and exits 2', async () => {
    const r = await runCli('frobnicate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^unknown command frobnicate/);
    assert.match(r.stderr, /Usage: presenced <command>/);
  });

  test('help prints the usage and exits 0', async () => {
    const r = await runCli('help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: presenced <command>/);
  });
});
