/**
 * Types of the pure presence state machine (DESIGN §1). Wire names (snake_case) appear only
 * in the view types; the state itself is camelCase.
 */

/** Wire presence states, plus seed 000/001's free_for_chat. `hidden` is not a state: it sets appearOffline. */
export type PresenceState = 'offline' | 'unavailable' | 'online' | 'free_for_chat';

/** What `PUT /presence/{userId}/status` accepts (DESIGN §1.1). */
export type RequestedPresence = PresenceState | 'hidden';

/** The `set_presence` parameter of /sync. */
export type SyncPresence = 'online' | 'unavailable' | 'offline';

/** Seed 004's per-device API vocabulary; `idle` is `unavailable` on the wire. */
export type DeviceStateRequest = 'online' | 'idle' | 'offline';

export interface PresenceTimers {
  /** A device with no activity for this long becomes unavailable (seed 002: 5 minutes). */
  idleTimeoutMs: number;
  /** A device whose connection ended this long ago, with no activity since, is dropped (seed 004). */
  syncOnlineTimeoutMs: number;
  /** currently_active is true while the last activity is younger than this (seed 002). */
  lastActiveGranularityMs: number;
}

/** Everything the machine needs; `Config['presence']` is assignable to it. */
export interface PresenceMachineConfig extends PresenceTimers {
  /** true: every /sync with set_presence=online is activity (Synapse); false: the spec's rule. */
  syncIsActivity: boolean;
}

export const DEFAULT_PRESENCE_TIMERS: Readonly<PresenceMachineConfig> = Object.freeze({
  idleTimeoutMs: 300_000,
  syncOnlineTimeoutMs: 30_000,
  lastActiveGranularityMs: 60_000,
  syncIsActivity: false,
});

export interface DevicePresence {
  /** The device's own state; the user's state is the union over devices. */
  readonly state: PresenceState;
  /** Last pro-active event from this device; null when it never had one. */
  readonly lastActiveTs: number | null;
  /**
   * Last time the device's connection was seen: a /sync starting or ending, or a presence
   * request from the device (a connection that starts and ends at once, seed 004).
   */
  readonly lastSyncTs: number | null;
  /** /sync requests in flight; while > 0 the device is never dropped. */
  readonly activeSyncs: number;
  /** set_presence of the device's latest counted /sync; null before its first one. */
  readonly syncPresence: 'online' | 'unavailable' | null;
}

/**
 * The significant part of a published view: what, when it differs, makes observers need a
 * new event. last_active_ago is deliberately absent (currently_active suppression, seed 002).
 */
export interface PublishedSig {
  readonly presence: PresenceState;
  /** null when presence is not online (the field is only sent with online). */
  readonly currentlyActive: boolean | null;
  readonly statusMsg: string | null;
  readonly appearOffline: boolean;
}

export interface UserPresence {
  readonly devices: ReadonlyMap<string, DevicePresence>;
  /** Per user, not per device (seed 004). */
  readonly statusMsg: string | null;
  /** Seed 004's global "appear offline" flag; seed 000's `hidden`. */
  readonly appearOffline: boolean;
  /** Last pro-active event on any device, kept after devices are dropped. */
  readonly lastActiveTs: number | null;
  /** What others and the user's own devices were last told; drives `changed` / `selfChanged`. */
  readonly published: { readonly others: PublishedSig; readonly self: PublishedSig };
}

export type PresenceInput =
  | { readonly kind: 'syncStarted'; readonly deviceId: string; readonly setPresence: SyncPresence }
  /** setPresence must be the value the matching syncStarted had (offline syncs are not counted). */
  | { readonly kind: 'syncEnded'; readonly deviceId: string; readonly setPresence: SyncPresence }
  | { readonly kind: 'activity'; readonly deviceId: string }
  | {
      readonly kind: 'setPresence';
      readonly deviceId: string;
      readonly presence: RequestedPresence;
      /** undefined: leave as is; null: clear. PUT /status passes null when the body had none. */
      readonly statusMsg?: string | null;
    }
  | { readonly kind: 'setDeviceState'; readonly deviceId: string; readonly state: DeviceStateRequest }
  | { readonly kind: 'setAppearOffline'; readonly enabled: boolean }
  | { readonly kind: 'deviceRemoved'; readonly deviceId: string }
  | { readonly kind: 'tick' };

export interface PresenceEffects {
  /** What other users/servers see changed: notify every observer, new stream position. */
  readonly changed: boolean;
  /** What the user's own devices see changed; always true when `changed` is. */
  readonly selfChanged: boolean;
  /** The durable part of the state changed (not just /sync bookkeeping): write it. */
  readonly persist: boolean;
  /** Earliest instant at which a tick could change something; null: nothing pending. */
  readonly nextWakeAt: number | null;
}

/** m.presence event content (sync, federation EDU). */
export interface PresenceContent {
  presence: PresenceState;
  last_active_ago?: number;
  currently_active?: boolean;
  status_msg?: string;
  /** Only in the user's own view, only when true (DESIGN §1.4). */
  appear_offline?: true;
}

/** Body of GET /presence/{userId}/status: status_msg is always there, null when none. */
export interface PresenceStatusBody {
  presence: PresenceState;
  last_active_ago?: number;
  currently_active?: boolean;
  status_msg: string | null;
  appear_offline?: true;
}

const OFFLINE_SIG: PublishedSig = Object.freeze({
  presence: 'offline',
  currentlyActive: null,
  statusMsg: null,
  appearOffline: false,
});

/** A user the server has never seen: offline, nothing published yet. */
export function emptyPresence(): UserPresence {
  return {
    devices: new Map(),
    statusMsg: null,
    appearOffline: false,
    lastActiveTs: null,
    published: { others: OFFLINE_SIG, self: OFFLINE_SIG },
  };
}
