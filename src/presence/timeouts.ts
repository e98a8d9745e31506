/**
 * The time-driven rules: idle (DESIGN §1.3), dropping a device whose connection ended
 * (§1.2, seed 004) and currently_active expiry (§1.3, seed 002). Everything is derived from
 * stored timestamps and `now`, so a timer that fires late or twice does no harm.
 */
import type { DevicePresence, PresenceTimers, UserPresence } from './types.js';

/** When an online / free_for_chat device becomes unavailable; null for other states. */
export function idleDeadline(d: DevicePresence, cfg: PresenceTimers): number | null {
  if (d.state !== 'online' && d.state !== 'free_for_chat') return null;
  // A device online without any recorded activity (only possible from a hand-made row) is idle at once.
  return (d.lastActiveTs ?? -Infinity) + cfg.idleTimeoutMs;
}

/**
 * When a device with no /sync in flight is dropped: sync_online_timeout after its
 * connection was last seen, unless it had activity since (then after that activity).
 */
export function dropDeadline(d: DevicePresence, cfg: PresenceTimers): number | null {
  if (d.activeSyncs > 0) return null;
  return Math.max(d.lastSyncTs ?? -Infinity, d.lastActiveTs ?? -Infinity) + cfg.syncOnlineTimeoutMs;
}

/** True while the last activity is younger than last_active_granularity. */
export function isCurrentlyActive(lastActiveTs: number | null, now: number, cfg: PresenceTimers): boolean {
  return lastActiveTs !== null && now - lastActiveTs < cfg.lastActiveGranularityMs;
}

/** Rule: "a device not syncing is dropped sync_online_timeout after its last sync ended unless it had activity in that window". */
function isDropped(d: DevicePresence, now: number, cfg: PresenceTimers): boolean {
  const at = dropDeadline(d, cfg);
  return at !== null && now >= at;
}

/** Rule: "idle after idle_timeout without activity: the device becomes unavailable". */
function isIdle(d: DevicePresence, now: number, cfg: PresenceTimers): boolean {
  const at = idleDeadline(d, cfg);
  return at !== null && now >= at;
}

/** Applies the time-driven rules at `now`. Returns the same object when nothing is due. */
export function settle(state: UserPresence, now: number, cfg: PresenceTimers): UserPresence {
  let devices: Map<string, DevicePresence> | null = null;
  for (const [id, d] of state.devices) {
    if (isDropped(d, now, cfg)) {
      devices ??= new Map(state.devices);
      devices.delete(id);
    } else if (isIdle(d, now, cfg)) {
      devices ??= new Map(state.devices);
      devices.set(id, { ...d, state: 'unavailable' });
    }
  }
  return devices ? { ...state, devices } : state;
}

/**
 * Earliest instant at which a tick could change something: an idle deadline, the drop
 * deadline of a device with no /sync in flight, or the expiry of a published
 * currently_active. null when nothing is pending; an instant <= now means "due already"
 * (only for a state that has not been through step() at that instant).
 */
export function nextWakeAt(state: UserPresence, cfg: PresenceTimers): number | null {
  let at = Infinity;
  for (const d of state.devices.values()) {
    at = Math.min(at, idleDeadline(d, cfg) ?? Infinity, dropDeadline(d, cfg) ?? Infinity);
  }
  const { others, self } = state.published;
  if ((others.currentlyActive === true || self.currentlyActive === true) && state.lastActiveTs !== null) {
    at = Math.min(at, state.lastActiveTs + cfg.lastActiveGranularityMs);
  }
  if (at === Infinity) return null;
  // -Infinity: a hand-made row with no timestamps is due already; any past instant says so.
  return Number.isFinite(at) ? at : 0;
}
