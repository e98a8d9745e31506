import type { SyncPresence } from './types.js';
import type { StoredPresence } from './stored.js';

/** A sync in flight on some instance, as recorded for takeover when that instance dies. */
export interface SyncRecord {
  instanceId: string;
  deviceId: string;
  setPresence: SyncPresence;
  /** +1 when a sync starts, -1 when it ends. */
  delta: 1 | -1;
}

export interface Mutation {
  state: StoredPresence;
  /** Take a new presence stream position (the change is visible to someone). */
  allocate: boolean;
  /** When the shared timer should next tick this user; null: no timer needed. */
  wakeAt: number | null;
  sync?: SyncRecord;
}

/**
 * Presence storage shared by several instances: every change happens under the user's
 * row lock, so the device union spans instances and each timer fires exactly once.
 */
export interface ClusterPresenceStore {
  /**
   * Locks the user's row, lets `fn` compute the next state from the stored one (undefined
   * if none), writes it. Returns the allocated position, if any. `fn` may return null to
   * abandon (nothing written).
   */
  mutate(userId: string, fn: (stored: unknown, claim: ClaimResult) => Mutation | null, opts?: MutateOptions): Promise<{ pos: number | null; applied: boolean }>;
  /** A position for a change not stored in the presence table (room introductions, profiles). */
  allocatePosition(): Promise<number>;
  highestPosition(): Promise<number>;
  /** Users whose timer is due (not claimed: the claim is made under the row lock by mutate). */
  dueTimers(now: number, limit: number): Promise<string[]>;
  /** Every user changed after a position, with their latest state and position. */
  changedSince(pos: number): Promise<{ userId: string; state: unknown; pos: number }[]>;
  loadAll(): Promise<{ userId: string; state: unknown; pos: number }[]>;
  heartbeat(instanceId: string, now: number): Promise<void>;
  /** Syncs recorded by instances not seen since `deadBefore`, one row per (user, device, set_presence). */
  orphanedSyncs(deadBefore: number): Promise<{ instanceId: string; userId: string; deviceId: string; setPresence: SyncPresence; n: number }[]>;
  forgetInstance(instanceId: string): Promise<void>;
}

/** Claims made under the row lock; whoever deletes the row owns the work, exactly once. */
export interface MutateOptions {
  /** Claim the user's timer if due by this time; skip (fn not called) if already claimed. */
  claimTimerDueBy?: number;
  /** Claim a dead instance's sync record for this user; skip if already claimed. */
  orphan?: { instanceId: string; deviceId: string; setPresence: SyncPresence };
}

export interface ClaimResult {
  /** How many syncs the claimed orphan record stood for. */
  orphanSyncs: number;
}
