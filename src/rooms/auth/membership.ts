import type { Pdu, StateMap } from '../../common/events.js';
import { powerLevelsContent, userPowerLevel } from './powerLevels.js';
import { creatorOf, joinRuleOf, membershipOf } from './state.js';
import { authorizeThirdPartyInvite } from './thirdPartyInvite.js';
import { ALLOW, deny, type AuthEventInput, type AuthResult } from './types.js';

/** Rule 4: `m.room.member` events, one function per target membership. */
export function authorizeMembership(
  event: AuthEventInput,
  create: Pdu,
  authState: StateMap,
): AuthResult {
  const membership = event.content.membership;
  if (event.state_key === undefined || typeof membership !== 'string') {
    return deny('A membership event needs a state_key and a content.membership');
  }
  // Rule 4.2 (the authorising server's signature) is checked where signatures are: federation.
  switch (membership) {
    case 'join':
      return authorizeJoin(event, create, authState);
    case 'invite':
      return authorizeInvite(event, authState);
    case 'leave':
      return authorizeLeave(event, authState);
    case 'ban':
      return authorizeBan(event, authState);
    case 'knock':
      return authorizeKnock(event, authState);
    default:
      return deny(`Unknown membership '${membership}'`);
  }
}

/**
 * Rule 4.3.1's "only previous event is the create event". When the create event's id is not
 * carried locally, the state then is exactly the create event, which is what is checked.
 */
function followsOnlyCreate(event: AuthEventInput, create: Pdu, authState: StateMap): boolean {
  if (event.prev_events.length !== 1) return false;
  if (create.event_id !== undefined) return event.prev_events[0] === create.event_id;
  return [...authState.values()].every((e) => e.type === create.type);
}

function authorizeJoin(event: AuthEventInput, create: Pdu, authState: StateMap): AuthResult {
  const target = event.state_key as string;
  if (target === creatorOf(create) && followsOnlyCreate(event, create, authState)) return ALLOW;
  if (event.sender !== target) return deny('You cannot join a room on behalf of another user');
  const current = membershipOf(target, authState);
  if (current === 'ban') return deny('You are banned from this room');
  const rule = joinRuleOf(authState);
  const invitedOrJoined = current === 'invite' || current === 'join';

  if (rule === 'invite' || rule === 'knock') {
    return invitedOrJoined ? ALLOW : deny('You are not invited to this room');
  }
  if (rule === 'restricted' || rule === 'knock_restricted') {
    if (invitedOrJoined) return ALLOW;
    return authorizeRestrictedJoin(event, authState);
  }
  if (rule === 'public') return ALLOW;
  return deny(`This room's join rule (${rule}) does not let you join`);
}

/**
 * Rule 4.3.5.2: a restricted join must be vouched for by a joined member able to invite.
 * Whether the joiner really belongs to an allowed room is that member's server's call.
 */
function authorizeRestrictedJoin(event: AuthEventInput, authState: StateMap): AuthResult {
  const via = event.content.join_authorised_via_users_server;
  if (typeof via !== 'string') {
    return deny('You need an invite to join this room, or a join authorised by one of its members');
  }
  if (membershipOf(via, authState) !== 'join') {
    return deny(`The user authorising the join (${via}) is not in the room`);
  }
  if (userPowerLevel(via, authState) < powerLevelsContent(authState).invite) {
    return deny(`The user authorising the join (${via}) is not allowed to invite users`);
  }
  return ALLOW;
}

function authorizeInvite(event: AuthEventInput, authState: StateMap): AuthResult {
  if (event.content.third_party_invite !== undefined) {
    return authorizeThirdPartyInvite(event, authState);
  }
  const target = event.state_key as string;
  if (membershipOf(event.sender, authState) !== 'join') {
    return deny('You must be in the room to invite users');
  }
  const targetMembership = membershipOf(target, authState);
  if (targetMembership === 'join') return deny(`${target} is already in the room`);
  if (targetMembership === 'ban') return deny(`${target} is banned from this room`);
  if (userPowerLevel(event.sender, authState) < powerLevelsContent(authState).invite) {
    return deny('Your power level is too low to invite users');
  }
  return ALLOW;
}

function authorizeLeave(event: AuthEventInput, authState: StateMap): AuthResult {
  const target = event.state_key as string;
  const targetMembership = membershipOf(target, authState);
  if (event.sender === target) {
    if (targetMembership === 'invite' || targetMembership === 'join' || targetMembership === 'knock') {
      return ALLOW;
    }
    if (targetMembership === 'ban') return deny('You are banned from this room and cannot unban yourself');
    return deny('You are not in this room');
  }
  // Someone else's leave: a kick, an unban, or a rescinded invite or knock.
  if (membershipOf(event.sender, authState) !== 'join') {
    return deny('You must be in the room to remove other users');
  }
  const pl = powerLevelsContent(authState);
  const senderLevel = userPowerLevel(event.sender, authState);
  if (targetMembership === 'ban' && senderLevel < pl.ban) {
    return deny('Your power level is too low to unban users');
  }
  if (senderLevel < pl.kick) return deny('Your power level is too low to kick users');
  if (userPowerLevel(target, authState) >= senderLevel) {
    return deny(`You cannot kick ${target}: their power level is not below yours`);
  }
  return ALLOW;
}

function authorizeBan(event: AuthEventInput, authState: StateMap): AuthResult {
  const target = event.state_key as string;
  if (membershipOf(event.sender, authState) !== 'join') {
    return deny('You must be in the room to ban users');
  }
  const senderLevel = userPowerLevel(event.sender, authState);
  if (senderLevel < powerLevelsContent(authState).ban) {
    return deny('Your power level is too low to ban users');
  }
  if (userPowerLevel(target, authState) >= senderLevel) {
    return deny(`You cannot ban ${target}: their power level is not below yours`);
  }
  return ALLOW;
}

function authorizeKnock(event: AuthEventInput, authState: StateMap): AuthResult {
  const rule = joinRuleOf(authState);
  if (rule !== 'knock' && rule !== 'knock_restricted') return deny('This room does not accept knocks');
  if (event.sender !== event.state_key) return deny('You cannot knock on behalf of another user');
  switch (membershipOf(event.sender, authState)) {
    case 'ban':
      return deny('You are banned from this room');
    case 'invite':
      return deny('You are already invited to this room');
    case 'join':
      return deny('You are already in this room');
    default:
      return ALLOW;
  }
}
