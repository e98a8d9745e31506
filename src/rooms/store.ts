import type { Pdu } from '../common/events.js';

/** What the rooms service needs from storage. */
export interface StoredEvent {
  pdu: Pdu & { event_id: string };
  streamPos: number;
  redactedBy: string | null;
  /** Event id of the state event this one replaced (same type and state_key), if any. */
  replacesState: string | null;
  /** The sending device's transaction, echoed back to that device as unsigned.transaction_id. */
  txn: { deviceId: string; txnId: string } | null;
}

export interface MembershipRow {
  roomId: string;
  userId: string;
  membership: string;
  eventId: string;
  streamPos: number;
  forgotten: boolean;
}

export interface RoomRow {
  roomId: string;
  roomVersion: string;
  creator: string;
  isPublic: boolean;
}

export interface PersistEventInput {
  pdu: Pdu & { event_id: string };
  /** Set for a send with a transaction id, so a retry returns the same event. */
  txn?: { userId: string; deviceId: string; txnId: string; ts: number };
}

/** A transaction handle the store hands out and takes back; opaque to the rooms service. */
export type RoomTx = { readonly __roomTx: unique symbol };

export interface RoomStore {
  /**
   * Runs fn holding the room's write lock (across instances, where several share the
   * database) inside one transaction; persistEvent given that tx writes within it.
   */
  withRoomLock<T>(roomId: string, fn: (tx: RoomTx) => Promise<T>): Promise<T>;
  createRoom(room: RoomRow, ts: number): Promise<void>;
  getRoom(roomId: string): Promise<RoomRow | undefined>;
  setRoomPublic(roomId: string, isPublic: boolean): Promise<void>;
  listPublicRooms(): Promise<string[]>;
  /** Stores the event, advances current state and membership, all in one transaction. */
  persistEvent(input: PersistEventInput, tx?: RoomTx): Promise<StoredEvent>;
  getEvent(eventId: string): Promise<StoredEvent | undefined>;
  getEvents(eventIds: string[]): Promise<StoredEvent[]>;
  markRedacted(eventId: string, redactedBy: string): Promise<void>;
  currentState(roomId: string): Promise<StoredEvent[]>;
  /** Current state without member events, except those of the given users (lazy-loaded members). */
  currentStateWithMembers(roomId: string, members: string[]): Promise<StoredEvent[]>;
  latestEvent(roomId: string): Promise<StoredEvent | undefined>;
  /** Events with stream position in (from, to], newest first when dir = 'b'. */
  roomEvents(roomId: string, from: number, to: number, dir: 'f' | 'b', limit: number): Promise<StoredEvent[]>;
  /** State events of the room in (from, to], oldest first. */
  stateEventsBetween(roomId: string, from: number, to: number): Promise<StoredEvent[]>;
  membershipsOfUser(userId: string): Promise<MembershipRow[]>;
  membership(roomId: string, userId: string): Promise<MembershipRow | undefined>;
  membersOfRoom(roomId: string): Promise<MembershipRow[]>;
  /** Joined and invited counts and up to `heroes` joined-or-invited users other than `viewer`, by user ID. */
  memberSummary(roomId: string, viewer: string, heroes: number): Promise<MemberSummary>;
  allJoined(): Promise<{ roomId: string; userId: string }[]>;
  setForgotten(roomId: string, userId: string): Promise<void>;
  txnEvent(userId: string, deviceId: string, txnId: string): Promise<string | undefined>;
  /** Rooms among roomIds that have events in (from, to]. */
  roomsWithEventsBetween(roomIds: string[], from: number, to: number): Promise<string[]>;
  /** Events of the given types from others in (after, upTo] (upTo omitted: no upper bound). */
  countEventsAfter(roomId: string, after: number, notSender: string, types: string[], upTo?: number): Promise<number>;
  putAlias(alias: string, roomId: string, creator: string): Promise<boolean>;
  getAlias(alias: string): Promise<{ roomId: string; creator: string } | undefined>;
  deleteAlias(alias: string): Promise<boolean>;
  aliasesOfRoom(roomId: string): Promise<string[]>;
}

export interface ReceiptRow {
  roomId: string;
  userId: string;
  receiptType: string;
  threadId: string;
  eventId: string;
  ts: number;
  streamPos: number;
}

export interface ReceiptStore {
  putReceipt(r: Omit<ReceiptRow, 'streamPos'>): Promise<number>;
  receiptsBetween(roomIds: string[], from: number, to: number): Promise<ReceiptRow[]>;
  receiptsOfRoom(roomId: string): Promise<ReceiptRow[]>;
  userReceipt(roomId: string, userId: string, receiptType: string): Promise<ReceiptRow | undefined>;
}

/** What a room's `summary` in /sync needs, without reading every member. */
export interface MemberSummary {
  joined: number;
  invited: number;
  heroes: string[];
}
