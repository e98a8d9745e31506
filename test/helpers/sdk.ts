/** matrix-js-sdk helpers for the real-client test: quiet logging, registration through UIA, bounded waits. */
import './sdkQuiet.js';
import { createClient, MatrixError, type MatrixClient } from 'matrix-js-sdk';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';

/** A logger that drops everything; the SDK's default one prints every sync at debug level. */
export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild() {
    return silentLogger;
  },
};

/**
 * The SDK arms a plain setTimeout for every request's local timeout (110 s for a /sync) and
 * never clears it, which keeps a finished test process alive. While installed, new timers
 * are unref'd so only real work (open sockets) keeps the process running. Returns the undo.
 */
export function unrefNewTimers(): () => void {
  const original = globalThis.setTimeout;
  const wrapped = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = original(fn, ms, ...args);
    t.unref?.();
    return t;
  }) as unknown as typeof setTimeout;
  globalThis.setTimeout = Object.assign(wrapped, original);
  return () => {
    globalThis.setTimeout = original;
  };
}

/**
 * Registers through the SDK's registerRequest, doing user-interactive auth the way a client
 * does: the first call answers 401 with a session, the second completes m.login.dummy.
 */
export async function registerWithSdk(baseUrl: string, username: string, password: string): Promise<{ userId: string; accessToken: string; deviceId: string }> {
  const anon = createClient({ baseUrl, logger: silentLogger });
  let session: string | undefined;
  try {
    await anon.registerRequest({ username, password });
    throw new Error('registration without auth should have asked for user-interactive auth');
  } catch (e) {
    if (!(e instanceof MatrixError) || e.httpStatus !== 401) throw e;
    const flows = (e.data as { flows?: { stages: string[] }[] }).flows ?? [];
    if (!flows.some((f) => f.stages.includes('m.login.dummy'))) throw new Error(`no m.login.dummy flow in ${JSON.stringify(e.data)}`);
    session = (e.data as { session?: string }).session;
  }
  const res = await anon.registerRequest({ username, password, auth: { type: 'm.login.dummy', session } });
  if (!res.access_token || !res.device_id) throw new Error(`registration gave no session: ${JSON.stringify(res)}`);
  return { userId: res.user_id, accessToken: res.access_token, deviceId: res.device_id };
}

export interface Emitter {
  on(event: string, fn: (...args: any[]) => void): unknown;
  off(event: string, fn: (...args: any[]) => void): unknown;
}

/**
 * Resolves with the first emission of `event` whose arguments satisfy `match`; rejects after
 * timeoutMs naming what it waited for. Call it before the action that should cause the event.
 */
export function waitForEvent<A extends unknown[]>(
  emitter: Emitter,
  event: string,
  match: (...args: A) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<A> {
  return new Promise<A>((resolve, reject) => {
    const onEvent = (...args: unknown[]) => {
      let ok = false;
      try {
        ok = match(...(args as A));
      } catch (e) {
        finish();
        reject(e as Error);
        return;
      }
      if (ok) {
        finish();
        resolve(args as A);
      }
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
    };
    emitter.on(event, onEvent);
  });
}

export type { MatrixClient };
