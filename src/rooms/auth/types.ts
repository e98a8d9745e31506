import type { JsonObject } from '../../common/events.js';

/** The fields of an event the authorization rules look at; both `Pdu` and `EventProto` fit. */
export interface AuthEventInput {
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  prev_events: string[];
}

/** A denial carries a sentence fit to be the `error` of a 403 M_FORBIDDEN. */
export type AuthResult = { allowed: true } | { allowed: false; reason: string };

export const ALLOW: AuthResult = { allowed: true };
export const deny = (reason: string): AuthResult => ({ allowed: false, reason });

export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

/**
 * Room versions whose create event these (v10) rules accept. A create event naming another
 * version belongs to a room this server does not implement, so the v10 rules must not vouch for it.
 */
export const SUPPORTED_ROOM_VERSIONS: readonly string[] = ['10'];

export const EV = {
  create: 'm.room.create',
  member: 'm.room.member',
  joinRules: 'm.room.join_rules',
  powerLevels: 'm.room.power_levels',
  thirdPartyInvite: 'm.room.third_party_invite',
  redaction: 'm.room.redaction',
} as const;
