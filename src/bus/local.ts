import { randomBytes } from 'node:crypto';
import type { Bus, BusMessage } from './types.js';

/** One process, no peers: publishing has no one to tell. */
export class LocalBus implements Bus {
  readonly instanceId = randomBytes(6).toString('hex');
  publish(_msg: BusMessage): void {}
  subscribe(_handler: (msg: BusMessage) => void): void {}
  onReconnect(_handler: () => void): void {}
  async close(): Promise<void> {}
}
