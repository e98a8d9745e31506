import type { Bus, BusMessage } from '../bus/index.js';
import type { MembershipIndex, RoomEvents, StoredEvent } from '../rooms/index.js';
import type { Notifier, RoomsStream } from '../sync/index.js';
import type { UsersService } from '../users/index.js';
import type { SharedFeeds, SharedTyping } from './shared.js';
import type { Clock } from '../common/clock.js';

type Profile = { displayname: string | null; avatar_url: string | null };

/** What this instance keeps in memory that other instances' writes change. */
export interface LinkTargets {
  index: MembershipIndex;
  rooms: Pick<RoomEvents, 'forget' | 'forgetAll'>;
  roomsStream: Pick<RoomsStream, 'setPosition'>;
  feeds: SharedFeeds;
  typing: SharedTyping;
  notifier: Pick<Notifier, 'wakeAll' | 'wakeEveryone'>;
  users: Pick<UsersService, 'forgetSessions' | 'forgetAllSessions'>;
  profiles: Map<string, Profile>;
  /** Every joined membership, read from storage. */
  readJoined(): Promise<{ roomId: string; userId: string }[]>;
  /** Every stream's position in storage. */
  readPositions(): Promise<Positions>;
  /** Every stream's position as this instance knows it. */
  localPositions(): Positions;
}

type Positions = Record<'rooms' | 'receipts' | 'accountData' | 'toDevice', number>;
const STREAMS = ['rooms', 'receipts', 'accountData', 'toDevice'] as const;

/** How often storage's positions are compared with this instance's, to find lost messages. */
export const CHECK_INTERVAL_MS = 1000;

/**
 * The bus carries positions and small facts, never room data: a woken /sync re-reads
 * storage, so what a message tells an instance is only which caches are stale, which
 * positions moved and whom to wake. Presence has its own messages (ClusterPresenceService).
 */
export class ClusterLink {
  private stopped = false;
  /** Storage's positions at the previous check. */
  private previous: Positions | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly t: LinkTargets,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.bus.subscribe((m) => this.receive(m));
    this.bus.onReconnect(() => void this.resync().catch(this.onError));
    this.scheduleCheck();
  }

  stop(): void {
    this.stopped = true;
  }

  private scheduleCheck(): void {
    if (this.stopped) return;
    this.clock.setTimeout(() => {
      if (this.stopped) return;
      this.check().catch(this.onError).finally(() => this.scheduleCheck());
    }, CHECK_INTERVAL_MS);
  }

  /**
   * A message can be lost for good when a peer publishes while its own Redis connection is
   * still coming back. A position storage had reached at the previous check and this
   * instance still has not is such a loss (the bus takes milliseconds, a check a second):
   * then everything is re-read.
   */
  async check(): Promise<void> {
    const now = await this.t.readPositions();
    const local = this.t.localPositions();
    const prev = this.previous;
    this.previous = now;
    if (prev && STREAMS.some((s) => local[s] < prev[s])) await this.resync();
  }

  /** Told after a local event is committed (and the local index updated). */
  roomEvent(ev: StoredEvent): void {
    const p = ev.pdu;
    const member = p.type === 'm.room.member' && p.state_key !== undefined ? { userId: p.state_key, membership: String(p.content.membership) } : undefined;
    this.bus.publish({ kind: 'roomEvent', roomId: p.room_id, streamPos: ev.streamPos, member });
  }

  sessionsEnded(userId: string, deviceId?: string): void {
    this.bus.publish({ kind: 'sessionRevoked', userId, deviceId });
  }

  profileChanged(userId: string, profile: Profile): void {
    this.bus.publish({ kind: 'profile', userId, displayname: profile.displayname, avatar_url: profile.avatar_url });
  }

  private receive(m: BusMessage): void {
    const t = this.t;
    switch (m.kind) {
      case 'roomEvent': {
        // The members before the change plus its subject: everyone it concerns, joiner or leaver.
        const audience = new Set(t.index.members(m.roomId));
        if (m.member) {
          t.index.apply(m.roomId, m.member.userId, m.member.membership);
          audience.add(m.member.userId);
        }
        t.rooms.forget(m.roomId);
        t.roomsStream.setPosition(m.streamPos);
        t.notifier.wakeAll(audience);
        break;
      }
      case 'stream':
        t.feeds.applyRemote(m.stream, m.pos, m.users ?? [], m.roomId);
        break;
      case 'typing':
        t.typing.applyRemote(m.roomId, m.userId, m.typing, m.timeoutMs);
        break;
      case 'sessionRevoked':
        t.users.forgetSessions(m.userId, m.deviceId);
        break;
      case 'profile':
        t.profiles.set(m.userId, { displayname: m.displayname, avatar_url: m.avatar_url });
        break;
      case 'presence':
        break;
    }
  }

  /**
   * After the bus was down, any message may have been lost: re-read what storage holds,
   * drop every cache that might be stale, and let every waiting long-poll look again.
   */
  async resync(): Promise<void> {
    const t = this.t;
    const [joined, positions] = [await t.readJoined(), await t.readPositions()];
    t.index.reload(joined);
    t.rooms.forgetAll();
    t.users.forgetAllSessions();
    t.profiles.clear();
    t.roomsStream.setPosition(positions.rooms);
    t.feeds.advanceTo(positions);
    t.notifier.wakeEveryone();
  }
}
