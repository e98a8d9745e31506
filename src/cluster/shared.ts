import type { Bus } from '../bus/index.js';
import type { Clock } from '../common/clock.js';
import { Typing } from '../rooms/index.js';
import type { MembershipIndex } from '../rooms/index.js';
import { SyncFeeds, type Notifier } from '../sync/index.js';
import type { AccountDataStream, ReceiptsStream, ToDeviceStream } from '../sync/index.js';

/** Typing whose local changes also reach the other instances; theirs arrive through applyRemote. */
export class SharedTyping extends Typing {
  constructor(clock: Clock, private readonly bus: Bus) {
    super(clock, 120_000, true);
  }

  override set(roomId: string, userId: string, typing: boolean, timeoutMs = 30_000): void {
    super.set(roomId, userId, typing, timeoutMs);
    this.bus.publish({ kind: 'typing', roomId, userId, typing, timeoutMs });
  }

  applyRemote(roomId: string, userId: string, typing: boolean, timeoutMs: number): void {
    super.set(roomId, userId, typing, timeoutMs);
  }
}

/** Stream feeds whose local advances are also announced to the other instances. */
export class SharedFeeds extends SyncFeeds {
  constructor(
    notifier: Notifier,
    index: MembershipIndex,
    streams: { accountData: AccountDataStream; receipts: ReceiptsStream; toDevice: ToDeviceStream },
    private readonly bus: Bus,
  ) {
    super(notifier, index, streams);
  }

  override accountData(userId: string, pos: number): void {
    super.accountData(userId, pos);
    this.bus.publish({ kind: 'stream', stream: 'accountData', pos, users: [userId] });
  }

  override receipt(roomId: string, pos: number): void {
    super.receipt(roomId, pos);
    this.bus.publish({ kind: 'stream', stream: 'receipts', pos, roomId });
  }

  override toDevice(users: Iterable<string>, pos: number): void {
    const list = [...users];
    super.toDevice(list, pos);
    this.bus.publish({ kind: 'stream', stream: 'toDevice', pos, users: list });
  }

  /** Positions re-read from storage: advanced without waking anyone (the caller wakes). */
  advanceTo(positions: { receipts: number; accountData: number; toDevice: number }): void {
    this.streams.receipts.setPosition(positions.receipts);
    this.streams.accountData.setPosition(positions.accountData);
    this.streams.toDevice.setPosition(positions.toDevice);
  }

  /** A peer's advance: the same local effect, not announced again. */
  applyRemote(stream: 'receipts' | 'accountData' | 'toDevice', pos: number, users: string[], roomId?: string): void {
    if (stream === 'receipts' && roomId !== undefined) super.receipt(roomId, pos);
    else if (stream === 'accountData') for (const u of users) super.accountData(u, pos);
    else if (stream === 'toDevice') super.toDevice(users, pos);
  }
}
