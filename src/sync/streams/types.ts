import type { ClientEvent, JsonObject } from '../../common/events.js';
import type { Filter } from '../filter.js';
import type { StreamName, StreamPositions } from '../token.js';

export interface JoinedRoomSync {
  timeline: { events: ClientEvent[]; limited: boolean; prev_batch: string };
  state: { events: ClientEvent[] };
  ephemeral: { events: JsonObject[] };
  account_data: { events: JsonObject[] };
  unread_notifications: { notification_count: number; highlight_count: number };
  summary: JsonObject;
}

export interface SyncResponse {
  next_batch: string;
  rooms: {
    join: Record<string, JoinedRoomSync>;
    invite: Record<string, { invite_state: { events: JsonObject[] } }>;
    leave: Record<string, { timeline: { events: ClientEvent[]; limited: boolean; prev_batch: string }; state: { events: ClientEvent[] }; account_data: { events: JsonObject[] } }>;
    knock: Record<string, { knock_state: { events: JsonObject[] } }>;
  };
  presence: { events: JsonObject[] };
  account_data: { events: JsonObject[] };
  to_device: { events: JsonObject[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

/** Everything a stream provider needs to add its part of one /sync response. */
export interface SyncContext {
  userId: string;
  deviceId: string;
  filter: Filter;
  /** null for an initial sync. */
  since: StreamPositions | null;
  /** Positions this response covers; providers may lower their own (e.g. to-device paging). */
  to: StreamPositions;
  fullState: boolean;
  now: number;
  /** Rooms the user is joined to as of `to`, filled by the rooms provider first. */
  joinedRooms: string[];
  /** Joined rooms that are new in this response (need complete ephemeral state). */
  newlyJoined: Set<string>;
  response: SyncResponse;
  /** Room entry for a joined room, created on demand. */
  joined(roomId: string): JoinedRoomSync;
}

/**
 * One per stream: its current position and how it fills a response between two
 * positions (or completely, for an initial or full-state sync).
 */
export interface StreamProvider {
  readonly stream: StreamName;
  position(): number;
  /**
   * Adds this stream's part. Returns nothing when it finished synchronously: most
   * long-poll wake-ups touch one stream, and the others then cost no promise.
   */
  fill(ctx: SyncContext): Promise<void> | void;
}
