import type { FastifyPluginAsync } from 'fastify';
import { MatrixError } from '../common/errors.js';
import type { AdjustableClock } from '../common/clock.js';

/**
 * Test-only: moves a server's clock forward from outside its process, so tests of several
 * instances (timers, a dead instance's users) advance time instead of waiting. Mounted
 * only when PRESENCED_TEST_CLOCK=1, and answers loopback callers only.
 */
export function testClockRoutes(clock: AdjustableClock): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: unknown }>('/_presenced/test/clock', async (req) => {
      if (!/^(127\.|::1$|::ffff:127\.)/.test(req.ip)) throw new MatrixError(403, 'M_FORBIDDEN', 'Loopback only');
      const body = req.body as { advance_ms?: unknown } | null;
      const ms = body?.advance_ms;
      if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > 86_400_000) {
        throw new MatrixError(400, 'M_INVALID_PARAM', 'advance_ms must be an integer from 0 to 86400000');
      }
      clock.advance(ms);
      return { now: clock.now() };
    });
  };
}
