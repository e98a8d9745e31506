/**
 * Silences matrix-js-sdk's global logger. Import this before anything that imports the SDK:
 * some SDK modules bind `logger.log` when they are first evaluated, so the no-op methods
 * must be in place by then. Child loggers copy the root's methodFactory when they are made.
 */
import { logger } from 'matrix-js-sdk/lib/logger.js';

const root = logger as unknown as { methodFactory: unknown; rebuild(): void };
root.methodFactory = () => () => {};
root.rebuild();
