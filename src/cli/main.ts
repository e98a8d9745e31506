#!/usr/bin/env node
/** `presenced serve | generate-config | register-user`: the operator's entry point. */
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, generateConfigYaml, loadConfig, type Config } from '../config/index.js';
import { createServer } from '../main.js';
import { openStorage } from '../storage/index.js';
import { AdjustableClock, systemClock } from '../common/clock.js';
import { testClockRoutes } from '../http/testClock.js';
import { UsersService } from '../users/index.js';
import { MatrixError } from '../common/errors.js';

const USAGE = `Usage: presenced <command> [options]

Commands:
  serve              Run the homeserver
  generate-config    Write a commented config file (default presenced.yaml)
  register-user      Create an account: register-user --user NAME --password PW [--admin]

Options for serve and register-user:
  --config FILE      YAML config file (see docs/configuration.md)
  --bind ADDR        Listen address (default 127.0.0.1)
  --port N           Listen port (default 8008)
  --server-name NAME Server name in user IDs (default localhost)
  --data-dir DIR     Where the database and signing key live (default ./data)
`;

function configFrom(values: Record<string, string | boolean | undefined>): Config {
  return loadConfig(values.config as string | undefined, process.env, {
    bind: values.bind as string | undefined,
    port: values.port as string | undefined,
    serverName: values['server-name'] as string | undefined,
    dataDir: values['data-dir'] as string | undefined,
  });
}

const COMMON = {
  config: { type: 'string' },
  bind: { type: 'string' },
  port: { type: 'string' },
  'server-name': { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: COMMON });
  if (values.help) return void process.stdout.write(USAGE);
  const config = configFrom(values);
  // Tests of separate processes move time through a loopback-only route instead of waiting.
  const testClock = process.env.PRESENCED_TEST_CLOCK === '1' ? new AdjustableClock() : null;
  const server = await createServer(config, testClock ? { clock: testClock, extraRoutes: [testClockRoutes(testClock)] } : {});
  const address = await server.listen();
  const metricsAddress = server.metricsAddress();
  if (metricsAddress) server.app.log.info({ address: metricsAddress }, 'metrics listening');
  server.app.log.info({ address, serverName: config.serverName }, 'presenced listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'stopping');
    // close() answers parked long-polls at once, so this only fires when something hangs.
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function generate(args: string[]): void {
  const { values } = parseArgs({ args, options: { output: { type: 'string', short: 'o' }, force: { type: 'boolean' }, 'server-name': { type: 'string' }, 'data-dir': { type: 'string' } } });
  const out = values.output ?? 'presenced.yaml';
  const text = generateConfigYaml({ serverName: values['server-name'], dataDir: values['data-dir'] });
  if (out === '-') return void process.stdout.write(text);
  if (existsSync(out) && !values.force) throw new Error(`${out} exists; pass --force to overwrite`);
  writeFileSync(out, text, { mode: 0o600 });
  process.stdout.write(`wrote ${out}\n`);
}

async function registerUser(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { ...COMMON, user: { type: 'string', short: 'u' }, password: { type: 'string', short: 'p' }, admin: { type: 'boolean' } } });
  if (!values.user || !values.password) throw new Error('register-user needs --user and --password');
  const config = configFrom(values);
  const storage = await openStorage(config.database);
  try {
    const users = new UsersService(storage.users, systemClock, config.serverName, config.limits);
    const res = await users.register({ localpart: values.user.replace(/^@/, '').split(':')[0], password: values.password, isAdmin: values.admin === true, inhibitLogin: true });
    process.stdout.write(`created ${res.user_id}${values.admin ? ' (admin)' : ''}\n`);
  } finally {
    await storage.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'serve':
      return serve(rest);
    case 'generate-config':
      return generate(rest);
    case 'register-user':
      return registerUser(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`unknown command ${cmd}\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof ConfigError) process.stderr.write(`config error: ${e.message}\n`);
  else if (e instanceof MatrixError) process.stderr.write(`error: ${e.errcode}: ${e.message}\n`);
  else process.stderr.write(`error: ${(e as Error).message ?? String(e)}\n`);
  process.exit(1);
});
