import type { AccountDataStore } from '../../users/index.js';
import { matchesEventFilter } from '../filter.js';
import type { ToDeviceStore } from '../store.js';
import type { StreamProvider, SyncContext } from './types.js';

/** Global account data (room account data is placed by the rooms stream). */
export class AccountDataStream implements StreamProvider {
  readonly stream = 'accountData' as const;
  private pos = 0;

  constructor(private readonly store: AccountDataStore) {}

  setPosition(pos: number): void {
    if (pos > this.pos) this.pos = pos;
  }

  position(): number {
    return this.pos;
  }

  async fill(ctx: SyncContext): Promise<void> {
    const from = ctx.since && !ctx.fullState ? ctx.since.accountData : -1;
    for (const d of await this.store.accountDataSince(ctx.userId, from, ctx.to.accountData)) {
      if (d.roomId !== '') continue;
      if (!matchesEventFilter(ctx.filter.account_data, { type: d.type, sender: ctx.userId })) continue;
      ctx.response.account_data.events.push({ type: d.type, content: d.content });
    }
  }
}

const TO_DEVICE_BATCH = 100;

/**
 * Messages queued for this device. A sync past a position acknowledges (and deletes)
 * everything up to it; large backlogs are paged by lowering this response's position.
 */
export class ToDeviceStream implements StreamProvider {
  readonly stream = 'toDevice' as const;
  private pos = 0;

  constructor(private readonly store: ToDeviceStore) {}

  setPosition(pos: number): void {
    if (pos > this.pos) this.pos = pos;
  }

  position(): number {
    return this.pos;
  }

  async fill(ctx: SyncContext): Promise<void> {
    const from = ctx.since?.toDevice ?? 0;
    if (from > 0) await this.store.deleteToDeviceUpTo(ctx.userId, ctx.deviceId, from);
    const msgs = await this.store.toDeviceBetween(ctx.userId, ctx.deviceId, from, ctx.to.toDevice, TO_DEVICE_BATCH);
    for (const m of msgs) ctx.response.to_device.events.push({ sender: m.sender, type: m.type, content: m.content });
    if (msgs.length === TO_DEVICE_BATCH) ctx.to.toDevice = msgs[msgs.length - 1].streamPos;
  }
}
