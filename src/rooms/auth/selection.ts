import { stateKey, type JsonObject, type Pdu, type StateMap } from '../../common/events.js';
import { isObject } from './state.js';
import { EV } from './types.js';

const deny = (reason: string) => ({ allowed: false as const, reason });

interface SelectionInput {
  type: string;
  sender: string;
  state_key?: string;
  content: JsonObject;
}

/**
 * The spec's "auth events selection": the state entries that authorize a new event.
 * The create event itself has none.
 */
export function authEventTypes(event: SelectionInput): Array<[string, string]> {
  if (event.type === EV.create) return [];
  const out: Array<[string, string]> = [
    [EV.create, ''],
    [EV.powerLevels, ''],
    [EV.member, event.sender],
  ];
  if (event.type !== EV.member || event.state_key === undefined) return out;

  out.push([EV.member, event.state_key]);
  const membership = event.content.membership;
  if (membership === 'join' || membership === 'invite' || membership === 'knock') {
    out.push([EV.joinRules, '']);
  }
  if (membership === 'invite') {
    const tpi = event.content.third_party_invite;
    const token = isObject(tpi) && isObject(tpi.signed) ? tpi.signed.token : undefined;
    if (typeof token === 'string') out.push([EV.thirdPartyInvite, token]);
  }
  const via = event.content.join_authorised_via_users_server;
  if (typeof via === 'string') out.push([EV.member, via]);

  // The same member entry can be named twice (sender is target, or authoriser).
  const seen = new Set<string>();
  return out.filter(([t, k]) => {
    const key = stateKey(t, k);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The part of `state` that authorizes `event`: what its `auth_events` should reference. */
export function selectAuthState(event: SelectionInput, state: StateMap): StateMap {
  const out: StateMap = new Map();
  for (const [t, k] of authEventTypes(event)) {
    const e = state.get(stateKey(t, k));
    if (e) out.set(stateKey(t, k), e);
  }
  return out;
}

/**
 * Rules 2.1, 2.2 and 2.4 over a received event's own auth events (rule 2.3, "were themselves
 * rejected", needs storage and stays with the caller). On success also returns them as a map.
 */
export function checkAuthEvents(
  event: SelectionInput,
  authEvents: Pdu[],
): { allowed: true; authState: StateMap } | { allowed: false; reason: string } {
  if (event.type === EV.create) {
    return authEvents.length === 0
      ? { allowed: true, authState: new Map() }
      : deny('The m.room.create event cannot have auth events');
  }
  const allowedKeys = new Set(authEventTypes(event).map(([t, k]) => stateKey(t, k)));
  const authState: StateMap = new Map();
  for (const e of authEvents) {
    if (e.state_key === undefined) {
      return deny(`Auth event of type ${e.type} is not a state event`);
    }
    const key = stateKey(e.type, e.state_key);
    if (authState.has(key)) {
      return deny(`Duplicate auth events for (${e.type}, ${JSON.stringify(e.state_key)})`);
    }
    if (!allowedKeys.has(key)) {
      return deny(`(${e.type}, ${JSON.stringify(e.state_key)}) cannot be an auth event of this event`);
    }
    authState.set(key, e);
  }
  if (!authState.has(stateKey(EV.create, ''))) {
    return deny('The auth events do not include the m.room.create event');
  }
  return { allowed: true, authState };
}
