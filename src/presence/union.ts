/** Availability order and seed 004's union of per-device states into one per-user state. */
import type { DevicePresence, PresenceState } from './types.js';

/** offline < unavailable < online < free_for_chat (seed 001, DESIGN §1.1). */
const RANK: Readonly<Record<PresenceState, number>> = { offline: 0, unavailable: 1, online: 2, free_for_chat: 3 };

export function availabilityRank(state: PresenceState): number {
  return RANK[state];
}

/**
 * Raising availability is pro-active (seed 001) when the new state is online or
 * free_for_chat. offline -> unavailable is not: unavailable means the user is not
 * interacting, and DESIGN §1.3 lists only PUT online / free_for_chat as activity.
 */
export function isProactiveRaise(from: PresenceState, to: PresenceState): boolean {
  return RANK[to] > RANK[from] && RANK[to] >= RANK.online;
}

export interface UnionResult {
  readonly state: PresenceState;
  /** The device that decided the state; null when there is none (the user is offline). */
  readonly deviceId: string | null;
}

/** Highest state over the devices; ties go to the newest last_active (DESIGN §1.2). */
export function unionOf(devices: ReadonlyMap<string, DevicePresence>): UnionResult {
  let best: UnionResult = { state: 'offline', deviceId: null };
  let bestActive = -Infinity;
  let bestRank = -1;
  for (const [deviceId, d] of devices) {
    const rank = RANK[d.state];
    const active = d.lastActiveTs ?? -Infinity;
    if (rank > bestRank || (rank === bestRank && active > bestActive)) {
      best = { state: d.state, deviceId };
      bestRank = rank;
      bestActive = active;
    }
  }
  return best;
}
