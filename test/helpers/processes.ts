/** For tests that run presenced as a child process: paths, clean environment, deadlines, cleanup. */
import { after } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'src', 'cli', 'main.ts');

/** The test runner's environment without any PRESENCED_* variable, so only the test's own settings count. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PRESENCED_')) env[k] = v;
  return env;
}

/** Rejects after ms unless p settles first; the timer never keeps the process alive. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Child processes and temporary directories of one test file, killed and removed in its
 * `after` hook. Call at module level.
 */
export function scratch(prefix: string): { children: Set<ChildProcess>; tempDir(): string } {
  const children = new Set<ChildProcess>();
  const dirs: string[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return {
    children,
    tempDir() {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
  };
}

export interface Serving {
  proc: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last part of the server's output, for failure messages. */
  output(): string;
}

/**
 * Starts `presenced serve` with the given arguments (the CLI's, after `serve`) and waits
 * for its `presenced listening` log line, whose address it returns. The child is added to
 * `children` so the file's cleanup kills it.
 */
export async function serveProcess(
  children: Set<ChildProcess>,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; startMs?: number } = {},
): Promise<Serving> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], {
    cwd: ROOT,
    env: { ...cleanEnv(), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let tail = '';
  const keep = (s: string) => {
    tail = (tail + s).slice(-8_000);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }));
  });
  proc.stderr!.setEncoding('utf8').on('data', keep);
  const listening = new Promise<string>((resolve, reject) => {
    let buffered = '';
    proc.on('error', reject);
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      keep(s);
      buffered += s;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.includes('presenced listening')) continue;
        try {
          const rec = JSON.parse(line) as { msg?: string; address?: string };
          if (rec.msg === 'presenced listening' && rec.address) resolve(rec.address);
        } catch {
          // Not a log record; keep reading.
        }
      }
    });
    void exited.then((e) => reject(new Error(`serve exited (${e.code ?? e.signal}) before listening: ${tail}`)));
  });
  try {
    const url = await within(listening, opts.startMs ?? 30_000, 'serve listening');
    return { proc, url, exited, output: () => tail };
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
}
