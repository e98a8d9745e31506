/** Starts a real presenced on a free loopback port with a throwaway data directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/common/clock.js';
import { buildConfig, type Config } from '../../src/config/index.js';
import { createServer, type Server } from '../../src/main.js';

export interface TestServer {
  url: string;
  server: Server;
  config: Config;
  dataDir: string;
  /** Stops the server; keeps the data directory when keepData is set (for restart tests). */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export interface TestServerOptions {
  clock?: Clock;
  /** Raw config (snake_case, as in the YAML file) merged over the test defaults. */
  config?: Record<string, unknown>;
  /** Reuse a data directory (restart tests). */
  dataDir?: string;
}

const GENEROUS = { per_second: 1000, burst: 1000 };

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'presenced-test-'));
  const raw: Record<string, unknown> = {
    server_name: 'localhost',
    bind: '127.0.0.1',
    port: 0,
    data_dir: dataDir,
    log_level: 'silent',
    database: { type: 'sqlite', synchronous: 'normal' },
    rate_limits: { login: GENEROUS, register: GENEROUS, send: GENEROUS, presence: GENEROUS },
    ...opts.config,
  };
  const config = buildConfig(raw);
  const server = await createServer(config, { clock: opts.clock });
  const url = await server.listen();
  return {
    url,
    server,
    config,
    dataDir,
    async close(o = {}) {
      await server.close();
      if (!o.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
