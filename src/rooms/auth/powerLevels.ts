import type { JsonObject, StateMap } from '../../common/events.js';
import { isUserId } from '../../common/ids.js';
import { creatorOf, getState, isObject } from './state.js';
import { EV } from './types.js';

/** `m.room.power_levels` content with every field filled in (wire names, spec defaults). */
export interface PowerLevelsContent {
  users: Record<string, number>;
  users_default: number;
  events: Record<string, number>;
  events_default: number;
  state_default: number;
  ban: number;
  kick: number;
  redact: number;
  invite: number;
  notifications: Record<string, number>;
}

/** The scalar levels the power-level change rule walks over, in the spec's order. */
export const LEVEL_KEYS = [
  'users_default',
  'events_default',
  'state_default',
  'ban',
  'redact',
  'kick',
  'invite',
] as const;
export type LevelKey = (typeof LEVEL_KEYS)[number];

/** Canonical JSON only carries integers in [-(2^53)+1, 2^53-1], exactly the safe integers. */
export const isPowerLevel = (v: unknown): v is number => Number.isSafeInteger(v);

const SCALAR_DEFAULTS: Record<LevelKey, number> = {
  users_default: 0,
  events_default: 0,
  // The current spec gives 50 whether or not a power levels event exists.
  state_default: 50,
  ban: 50,
  redact: 50,
  kick: 50,
  invite: 0,
};

function intMap(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObject(v)) return out;
  for (const [k, n] of Object.entries(v)) if (isPowerLevel(n)) out[k] = n;
  return out;
}

/**
 * The room's effective power levels. Without a power levels event the creator has 100 and
 * everybody else 0. Values that are not integers are ignored: in v10 such an event could not
 * have passed the rules, so this only matters for hand-built state.
 */
export function powerLevelsContent(authState: StateMap): PowerLevelsContent {
  const pl = getState(authState, EV.powerLevels);
  const c: JsonObject = pl?.content ?? {};
  const scalar = (k: LevelKey) => {
    const v = c[k];
    return isPowerLevel(v) ? v : SCALAR_DEFAULTS[k];
  };
  let users = intMap(c.users);
  if (!pl) {
    const creator = creatorOf(getState(authState, EV.create));
    users = creator ? { [creator]: 100 } : {};
  }
  return {
    users,
    users_default: scalar('users_default'),
    events: intMap(c.events),
    events_default: scalar('events_default'),
    state_default: scalar('state_default'),
    ban: scalar('ban'),
    kick: scalar('kick'),
    redact: scalar('redact'),
    invite: scalar('invite'),
    notifications: { room: 50, ...intMap(c.notifications) },
  };
}

export function userPowerLevel(userId: string, authState: StateMap): number {
  const pl = powerLevelsContent(authState);
  return Object.hasOwn(pl.users, userId) ? pl.users[userId] : pl.users_default;
}

/** The level needed to send an event of `type`: its `events` entry, else the state/message default. */
export function requiredEventLevel(type: string, isState: boolean, authState: StateMap): number {
  const pl = powerLevelsContent(authState);
  if (Object.hasOwn(pl.events, type)) return pl.events[type];
  return isState ? pl.state_default : pl.events_default;
}

export type CreateRoomPreset = 'private_chat' | 'public_chat' | 'trusted_private_chat';

/**
 * The power levels event createRoom sends. Room settings that reshape the room (power levels,
 * history visibility, encryption, ACLs, upgrades) need admin; name, avatar and aliases need
 * moderator. In private presets any member may invite; in public rooms inviting needs moderator.
 * A missing preset means private_chat, the spec's preset for the default `private` visibility.
 */
export function defaultPowerLevelContent(
  creatorId: string,
  preset: CreateRoomPreset = 'private_chat',
  invitees: string[] = [],
): JsonObject {
  const users: Record<string, number> = {};
  // trusted_private_chat: "all invitees are given the same power level as the room creator".
  if (preset === 'trusted_private_chat') for (const u of invitees) users[u] = 100;
  users[creatorId] = 100;
  return {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.avatar': 50,
      'm.room.canonical_alias': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.tombstone': 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: preset === 'public_chat' ? 50 : 0,
    notifications: { room: 50 },
  };
}

/**
 * v10 rules 9.1 to 9.3: every level is an integer (never a string), `events` and
 * `notifications` map to integers, `users` maps valid user IDs to integers.
 * Returns the reason of the first violation, or undefined.
 */
export function powerLevelsShapeError(content: JsonObject): string | undefined {
  for (const k of LEVEL_KEYS) {
    if (k in content && !isPowerLevel(content[k])) {
      return `The power level '${k}' must be an integer`;
    }
  }
  for (const k of ['events', 'notifications'] as const) {
    if (!(k in content)) continue;
    const v = content[k];
    if (!isObject(v) || !Object.values(v).every(isPowerLevel)) {
      return `'${k}' must be an object whose power levels are integers`;
    }
  }
  if ('users' in content) {
    const v = content.users;
    if (!isObject(v)) return `'users' must be an object mapping user IDs to power levels`;
    for (const [user, level] of Object.entries(v)) {
      if (!isUserId(user)) return `'users' contains ${JSON.stringify(user)}, which is not a user ID`;
      if (!isPowerLevel(level)) return `The power level of ${user} must be an integer`;
    }
  }
  return undefined;
}
