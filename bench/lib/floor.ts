/** Starts bench/floorServer.ts in its own process, so its CPU can be sampled like a real server's. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface FloorServer {
  origin: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startFloor(timeoutMs = 30_000): Promise<FloorServer> {
  const script = fileURLToPath(new URL('../floorServer.ts', import.meta.url));
  let loader: string;
  try {
    loader = import.meta.resolve('tsx');
  } catch {
    loader = 'tsx';
  }
  const proc = fork(script, [], { execArgv: ['--import', loader], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('floor server did not start')), timeoutMs);
    proc.once('message', (m: { port: number }) => {
      clearTimeout(timer);
      resolve(m.port);
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`floor server exited with ${code}`));
    });
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    pid: proc.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
