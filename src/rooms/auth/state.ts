import { stateKey, type JsonObject, type Pdu, type StateMap } from '../../common/events.js';
import { EV } from './types.js';

/** Small readers over an auth state map; absent entries read as the spec's defaults. */

export const getState = (state: StateMap, type: string, key = ''): Pdu | undefined =>
  state.get(stateKey(type, key));

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A user with no member event has, for every rule, the membership `leave`. */
export function membershipOf(userId: string, state: StateMap): string {
  const m = getState(state, EV.member, userId)?.content.membership;
  return typeof m === 'string' ? m : 'leave';
}

/** A room without an `m.room.join_rules` event is invite-only. */
export function joinRuleOf(state: StateMap): string {
  const r = getState(state, EV.joinRules)?.content.join_rule;
  return typeof r === 'string' ? r : 'invite';
}

/** v10 create events name the creator in `content.creator`; fall back on the sender. */
export function creatorOf(create: Pdu | undefined): string | undefined {
  if (!create) return undefined;
  const c = create.content.creator;
  return typeof c === 'string' ? c : create.sender;
}
