import type { StateMap } from '../../common/events.js';
import { parseId, serverNameOf } from '../../common/ids.js';
import { authorizeMembership } from './membership.js';
import { authorizePowerLevels } from './powerLevelChange.js';
import { powerLevelsContent, requiredEventLevel, userPowerLevel } from './powerLevels.js';
import { getState, membershipOf } from './state.js';
import {
  ALLOW,
  deny,
  EV,
  SUPPORTED_ROOM_VERSIONS,
  type AuthEventInput,
  type AuthResult,
} from './types.js';

/**
 * The room version 10 authorization rules. `authState` holds the state the event is judged
 * against: its auth events, or the room state before it (only the entries `authEventTypes`
 * names are read). Signatures, hashes and rule 2's checks of the `auth_events` list itself
 * (see `checkAuthEvents`) are the caller's.
 */
export function authorizeEvent(event: AuthEventInput, authState: StateMap): AuthResult {
  if (event.type === EV.create) return authorizeCreate(event);

  const create = getState(authState, EV.create);
  if (!create) return deny('The room has no m.room.create event');

  if (create.content['m.federate'] === false && serverNameOf(event.sender) !== serverNameOf(create.sender)) {
    return deny("This room is not open to users of other servers (m.federate is false)");
  }

  if (event.type === EV.member) return authorizeMembership(event, create, authState);

  if (membershipOf(event.sender, authState) !== 'join') return deny('You are not in this room');

  const senderLevel = userPowerLevel(event.sender, authState);
  if (event.type === EV.thirdPartyInvite) {
    return senderLevel >= powerLevelsContent(authState).invite
      ? ALLOW
      : deny('Your power level is too low to invite users');
  }

  const isState = event.state_key !== undefined;
  if (requiredEventLevel(event.type, isState, authState) > senderLevel) {
    return deny(`Your power level is too low to send ${event.type}`);
  }

  if (event.state_key?.startsWith('@') && event.state_key !== event.sender) {
    return deny(`Only ${event.state_key} may send state with their user ID as the state key`);
  }

  if (event.type === EV.powerLevels) return authorizePowerLevels(event, authState);
  // m.room.redaction ends here too: whether it takes effect is decided later (canRedact).
  return ALLOW;
}

/** Rule 1. */
function authorizeCreate(event: AuthEventInput): AuthResult {
  if (event.prev_events.length > 0) return deny('The m.room.create event must be the first event of the room');
  const room = parseId(event.room_id, '!');
  if (!room || room.serverName !== serverNameOf(event.sender)) {
    return deny("The room ID's server does not match the creator's server");
  }
  const version = event.content.room_version;
  if (version !== undefined && (typeof version !== 'string' || !SUPPORTED_ROOM_VERSIONS.includes(version))) {
    return deny(`Room version ${JSON.stringify(version)} is not supported`);
  }
  if (event.content.creator === undefined) return deny('The m.room.create event has no creator');
  return ALLOW;
}

/**
 * Whether `sender` may redact an event sent by `originalSender`, as the Client-Server API
 * enforces it: one's own events always, anyone else's with the redact level.
 * (Sending the redaction event itself also needs its event level: `authorizeEvent`.)
 */
export function canRedact(sender: string, originalSender: string, authState: StateMap): boolean {
  if (sender === originalSender) return true;
  return userPowerLevel(sender, authState) >= powerLevelsContent(authState).redact;
}

/**
 * Whether a received redaction takes effect ("Handling redactions", v3 and later): the redact
 * level, or the same server as the original sender, which is trusted to have checked the rest.
 */
export function shouldApplyRedaction(
  redactionSender: string,
  originalSender: string,
  authState: StateMap,
): boolean {
  if (serverNameOf(redactionSender) === serverNameOf(originalSender)) return true;
  return userPowerLevel(redactionSender, authState) >= powerLevelsContent(authState).redact;
}
