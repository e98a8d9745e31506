import type { Clock } from '../../common/clock.js';
import type { Config } from '../../config/index.js';
import type { Authenticator, RateLimiter } from '../../http/index.js';
import type { Memberships, ReceiptStore, RoomCreator, RoomEvents, Typing, MembershipIndex } from '../../rooms/index.js';
import type { SyncFeeds, SyncService, ToDeviceStore } from '../../sync/index.js';
import type { Presence } from '../../presence/index.js';
import type { AccountDataStore, FilterStore, PushRuleStore, UiaSessions, UsersService } from '../../users/index.js';

/** What the Client-Server route plugins are given; handlers stay thin over these services. */
export interface ClientApiDeps {
  config: Config;
  clock: Clock;
  auth: Authenticator;
  registrationOpen: boolean;
  users: UsersService;
  uia: UiaSessions;
  userData: FilterStore & AccountDataStore & PushRuleStore;
  rooms: RoomEvents;
  members: Memberships;
  creator: RoomCreator;
  index: MembershipIndex;
  typing: Typing;
  receipts: ReceiptStore;
  toDevice: ToDeviceStore;
  sync: SyncService;
  feeds: SyncFeeds;
  presence: Presence;
  limits: { login: RateLimiter; register: RateLimiter; send: RateLimiter; presence: RateLimiter };
  /** Records a pro-active event of the session's device (docs/presence.md §4). */
  activity(s: { userId: string; deviceId: string }): void;
}
