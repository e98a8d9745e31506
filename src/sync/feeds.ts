import type { MembershipIndex } from '../rooms/index.js';
import type { Notifier } from './notifier.js';
import type { AccountDataStream, ToDeviceStream } from './streams/userData.js';
import type { ReceiptsStream } from './streams/ephemeral.js';

/**
 * Where writers report new stream positions: each call advances one stream and wakes
 * exactly the users whose next /sync it changes.
 */
export class SyncFeeds {
  constructor(
    private readonly notifier: Notifier,
    private readonly index: MembershipIndex,
    protected readonly streams: { accountData: AccountDataStream; receipts: ReceiptsStream; toDevice: ToDeviceStream },
  ) {}

  accountData(userId: string, pos: number): void {
    this.streams.accountData.setPosition(pos);
    this.notifier.wake(userId);
  }

  receipt(roomId: string, pos: number): void {
    this.streams.receipts.setPosition(pos);
    this.notifier.wakeAll(this.index.members(roomId));
  }

  toDevice(users: Iterable<string>, pos: number): void {
    this.streams.toDevice.setPosition(pos);
    this.notifier.wakeAll(users);
  }
}
