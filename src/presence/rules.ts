/**
 * The input-driven rules, one function each. They only describe the transition; step()
 * settles time-driven rules before and after and decides what was published.
 */
import type {
  DevicePresence,
  DeviceStateRequest,
  PresenceInput,
  PresenceMachineConfig,
  PresenceState,
  RequestedPresence,
  SyncPresence,
  UserPresence,
} from './types.js';
import { availabilityRank, isProactiveRaise } from './union.js';

const NEW_DEVICE: DevicePresence = Object.freeze({
  state: 'offline',
  lastActiveTs: null,
  lastSyncTs: null,
  activeSyncs: 0,
  syncPresence: null,
});

type DeviceUpdate = (d: DevicePresence) => DevicePresence;

/** Applies f to the device, creating it (offline, unseen) when the user has no such device. */
function updateDevice(state: UserPresence, deviceId: string, f: DeviceUpdate): UserPresence {
  const devices = new Map(state.devices);
  devices.set(deviceId, f(state.devices.get(deviceId) ?? NEW_DEVICE));
  return { ...state, devices };
}

/** Pro-active event: the device's and the user's last_active become now. */
function bump(state: UserPresence, deviceId: string, now: number, f: DeviceUpdate): UserPresence {
  const next = updateDevice(state, deviceId, (d) => ({ ...f(d), lastActiveTs: now }));
  return { ...next, lastActiveTs: Math.max(now, state.lastActiveTs ?? -Infinity) };
}

/** A presence request is a connection that starts and ends at once (seed 004's timer). */
const touched = (now: number): DeviceUpdate => (d) => ({ ...d, lastSyncTs: now });

/**
 * Rules: "activity makes an unavailable device online" (seed 002) and "activity on an
 * offline device makes it online". online and free_for_chat stay as they are.
 */
export function onActivity(state: UserPresence, deviceId: string, now: number): UserPresence {
  return bump(state, deviceId, now, (d) =>
    availabilityRank(d.state) < availabilityRank('online') ? { ...d, state: 'online' } : d,
  );
}

/**
 * An explicit request for a device state (PUT status, seed 004's per-device API).
 * Rules: "PUT online/free_for_chat is activity" and "raising availability is pro-active";
 * lowering (unavailable, offline) is taken as said, without touching last_active.
 */
function explicitSet(state: UserPresence, deviceId: string, target: PresenceState, now: number): UserPresence {
  const set: DeviceUpdate = (d) => ({ ...touched(now)(d), state: target });
  // Every pro-active raise ends at online or free_for_chat, and asking for those is activity anyway.
  const proactive = target === 'online' || target === 'free_for_chat';
  return proactive ? bump(state, deviceId, now, set) : updateDevice(state, deviceId, set);
}

/**
 * A /sync started. Rules:
 * - "set_presence=offline on sync doesn't mark the device online": such a sync is not
 *   counted at all (not a connection, not a state).
 * - "set_presence=unavailable marks it unavailable", on every such sync, never as activity.
 * - "a bare sync is not activity unless sync_is_activity", but a sync with online from a
 *   device that was not connected, or whose previous sync said unavailable, is the client
 *   saying the user opened it: the device goes online and that raise is pro-active.
 * - "a sync-driven set_presence never clobbers status_msg": nothing here touches it.
 */
export function onSyncStarted(
  state: UserPresence,
  deviceId: string,
  setPresence: SyncPresence,
  now: number,
  cfg: PresenceMachineConfig,
): UserPresence {
  if (setPresence === 'offline') return state;
  const previous = state.devices.get(deviceId);
  const connected = updateDevice(state, deviceId, (d) => ({
    ...d,
    activeSyncs: d.activeSyncs + 1,
    lastSyncTs: now,
    syncPresence: setPresence,
  }));
  if (setPresence === 'unavailable') {
    return updateDevice(connected, deviceId, (d) => ({ ...d, state: 'unavailable' }));
  }
  if (cfg.syncIsActivity) return onActivity(connected, deviceId, now);
  const clientOpened = previous?.syncPresence !== 'online';
  const current = previous?.state ?? 'offline';
  if (clientOpened && isProactiveRaise(current, 'online')) {
    return bump(connected, deviceId, now, (d) => ({ ...d, state: 'online' }));
  }
  return connected;
}

/**
 * A /sync with set_presence=offline is not a connection (onSyncStarted): stepping
 * the machine for it can change nothing that the user's own timers would not, so callers need
 * not step it at all. Observers that long-poll this way would otherwise cost two steps per
 * request, and a user who only ever syncs like that would get a state for nothing.
 */
export function isUncountedSync(input: PresenceInput): boolean {
  return (input.kind === 'syncStarted' || input.kind === 'syncEnded') && input.setPresence === 'offline';
}

/** A /sync ended: one fewer in flight; the drop timer counts from now. */
export function onSyncEnded(state: UserPresence, deviceId: string, setPresence: SyncPresence, now: number): UserPresence {
  if (setPresence === 'offline' || !state.devices.has(deviceId)) return state;
  return updateDevice(state, deviceId, (d) => ({ ...d, activeSyncs: Math.max(0, d.activeSyncs - 1), lastSyncTs: now }));
}

/**
 * PUT /presence/{userId}/status from a device. status_msg is per user (seed 004) and the
 * PUT replaces it (undefined leaves it). `hidden` sets appear-offline and leaves the device
 * state alone; online / unavailable / free_for_chat clear appear-offline; offline keeps it
 * (both mean "others see me offline": clearing could only expose the user).
 */
export function onSetPresence(
  state: UserPresence,
  deviceId: string,
  presence: RequestedPresence,
  statusMsg: string | null | undefined,
  now: number,
): UserPresence {
  const withMsg = statusMsg === undefined ? state : { ...state, statusMsg };
  if (presence === 'hidden') {
    const flagged = { ...withMsg, appearOffline: true };
    return flagged.devices.has(deviceId) ? updateDevice(flagged, deviceId, touched(now)) : flagged;
  }
  const flag = presence === 'offline' ? withMsg.appearOffline : false;
  return explicitSet({ ...withMsg, appearOffline: flag }, deviceId, presence, now);
}

const DEVICE_STATE: Readonly<Record<DeviceStateRequest, PresenceState>> = {
  online: 'online',
  idle: 'unavailable',
  offline: 'offline',
};

/** Seed 004's "setting presence state" per device: online | idle | offline. */
export function onSetDeviceState(state: UserPresence, deviceId: string, request: DeviceStateRequest, now: number): UserPresence {
  return explicitSet(state, deviceId, DEVICE_STATE[request], now);
}

/** Seed 004's global per-user flag. Only this and PUT status change it; syncs never do. */
export function onSetAppearOffline(state: UserPresence, enabled: boolean): UserPresence {
  return state.appearOffline === enabled ? state : { ...state, appearOffline: enabled };
}

/** Logout / deactivation: the device stops counting at once; the last one leaves the user offline. */
export function onDeviceRemoved(state: UserPresence, deviceId: string): UserPresence {
  if (!state.devices.has(deviceId)) return state;
  const devices = new Map(state.devices);
  devices.delete(deviceId);
  return { ...state, devices };
}
