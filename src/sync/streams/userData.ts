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

  fill(ctx: SyncContext): Promise<void> | void {
    const from = ctx.since && !ctx.fullState ? ctx.since.accountData : -1;
    if (from >= ctx.to.accountData) return;
    return this.fillFrom(ctx, from);
  }

  private async fillFrom(ctx: SyncContext, from: number): Promise<void> {
    for (const d of await this.store.accountDataSince(ctx.userId, from, ctx.to.accountData)) {
      if (d.roomId !== '') continue;
      if (!matchesEventFilter(ctx.filter.account_data, { type: d.type, sender: ctx.userId })) continue;
      ctx.response.account_data.events.push({ type: d.type, content: d.content });
    }
  }
}

const TO_DEVICE_BATCH = 100;
const MAX_TRACKED_USERS = 1_000_000;

/**
 * Messages queued for this device. A sync past a position acknowledges (and deletes)
 * everything up to it; large backlogs are paged by lowering this response's position.
 */
export class ToDeviceStream implements StreamProvider {
  readonly stream = 'toDevice' as const;
  private pos = 0;
  /**
   * Per user and device, a position up to which its queue is known to be empty in storage. It saves
   * every long-poll a write (and its fsync) when nothing was delivered; lost on restart,
   * which only costs one redundant delete per device.
   */
  private readonly emptyUpTo = new Map<string, Map<string, number>>();

  constructor(private readonly store: ToDeviceStore) {}

  setPosition(pos: number): void {
    if (pos > this.pos) this.pos = pos;
  }

  position(): number {
    return this.pos;
  }

  fill(ctx: SyncContext): Promise<void> | void {
    const from = ctx.since?.toDevice ?? 0;
    // Positions start at 1, so nothing is ever stored at or below 0.
    const knownEmpty = this.emptyUpTo.get(ctx.userId)?.get(ctx.deviceId) ?? 0;
    if (from >= ctx.to.toDevice && knownEmpty >= from) return;
    return this.fillFrom(ctx, from, knownEmpty);
  }

  private async fillFrom(ctx: SyncContext, from: number, knownEmpty: number): Promise<void> {
    if (from > 0 && knownEmpty < from) {
      await this.store.deleteToDeviceUpTo(ctx.userId, ctx.deviceId, from);
      this.setEmptyUpTo(ctx.userId, ctx.deviceId, (knownEmpty = from));
    }
    if (from >= ctx.to.toDevice) return;
    const msgs = await this.store.toDeviceBetween(ctx.userId, ctx.deviceId, from, ctx.to.toDevice, TO_DEVICE_BATCH);
    for (const m of msgs) ctx.response.to_device.events.push({ sender: m.sender, type: m.type, content: m.content });
    if (msgs.length === TO_DEVICE_BATCH) ctx.to.toDevice = msgs[msgs.length - 1].streamPos;
    // Nothing was handed out: the queue is still empty up to the response's position.
    if (msgs.length === 0 && knownEmpty >= from) this.setEmptyUpTo(ctx.userId, ctx.deviceId, ctx.to.toDevice);
  }

  private setEmptyUpTo(userId: string, deviceId: string, pos: number): void {
    let devices = this.emptyUpTo.get(userId);
    if (!devices) {
      if (this.emptyUpTo.size >= MAX_TRACKED_USERS) this.emptyUpTo.clear();
      this.emptyUpTo.set(userId, (devices = new Map()));
    }
    devices.set(deviceId, pos);
  }
}
