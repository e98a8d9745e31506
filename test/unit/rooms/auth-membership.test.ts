import { describe } from 'node:test';
import { ALICE, BOB, CAROL, CREATE_ID, MOD, createEvent, ev, member, room, runCases } from './auth-fixtures.js';
import { stateKey, type StateMap } from '../../../src/common/events.js';

const onlyCreate = (withId = true): StateMap => {
  const c = createEvent({}, withId ? {} : { event_id: undefined });
  return new Map([[stateKey('m.room.create', ''), c]]);
};
const firstJoin = (user: string, prev = [CREATE_ID]) => ({ ...member(user, 'join'), prev_events: prev });

describe('rule 4.1: member events need state_key and membership', () => {
  runCases([
    {
      name: '4.1 no membership property in content',
      event: ev('m.room.member', CAROL, {}, CAROL),
      state: room({ joinRule: 'public' }),
      deny: 'needs a state_key and a content.membership',
    },
    {
      name: '4.1 no state_key',
      event: ev('m.room.member', CAROL, { membership: 'join' }),
      state: room({ joinRule: 'public' }),
      deny: 'needs a state_key and a content.membership',
    },
    {
      name: '4.8 unknown membership is rejected',
      event: member(BOB, 'wander'),
      state: room(),
      deny: "Unknown membership 'wander'",
    },
  ]);
});

describe('rule 4.3: membership join', () => {
  runCases([
    {
      name: "4.3.1 only previous event is the create event and state_key is the creator",
      event: firstJoin(ALICE),
      state: onlyCreate(),
    },
    {
      name: '4.3.1 creator first join recognised from the state when the create event id is not carried',
      event: firstJoin(ALICE, ['$whatever']),
      state: onlyCreate(false),
    },
    {
      name: '4.3.1 does not apply to anyone but the creator (room then invite-only)',
      event: firstJoin(BOB),
      state: onlyCreate(),
      deny: 'You are not invited to this room',
    },
    {
      name: '4.3.1 does not apply when the previous event is not the create event',
      event: firstJoin(ALICE, ['$other']),
      state: onlyCreate(),
      deny: 'You are not invited to this room',
    },
    {
      name: '4.3.2 sender does not match state_key',
      event: member(CAROL, 'join', BOB),
      state: room({ joinRule: 'public' }),
      deny: 'on behalf of another user',
    },
    {
      name: '4.3.3 sender is banned (even from a public room)',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'public', members: { [CAROL]: 'ban' } }),
      deny: 'You are banned from this room',
    },
    {
      name: '4.3.4 join_rule invite: invited user may join',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'invite', members: { [CAROL]: 'invite' } }),
    },
    {
      name: '4.3.4 join_rule invite: joined user may re-join (e.g. profile change)',
      event: member(BOB, 'join'),
      state: room({ joinRule: 'invite' }),
    },
    {
      name: '4.3.4 join_rule invite: uninvited user may not join',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'invite' }),
      deny: 'You are not invited to this room',
    },
    {
      name: '4.3.4 join_rule invite: a user who left may not come back uninvited',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'invite', members: { [CAROL]: 'leave' } }),
      deny: 'You are not invited to this room',
    },
    {
      name: '4.3.4 no join_rules event means invite-only',
      event: member(CAROL, 'join'),
      state: room({ joinRule: null }),
      deny: 'You are not invited to this room',
    },
    {
      name: '4.3.4 join_rule knock: invited user may join',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'knock', members: { [CAROL]: 'invite' } }),
    },
    {
      name: '4.3.4 join_rule knock: a knocking user may not join until invited',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'knock', members: { [CAROL]: 'knock' } }),
      deny: 'You are not invited to this room',
    },
    {
      name: '4.3.5.1 join_rule restricted: invited user may join',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'restricted', members: { [CAROL]: 'invite' } }),
    },
    {
      name: '4.3.5.2 join_rule restricted: no join_authorised_via_users_server',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'restricted' }),
      deny: 'You need an invite to join this room',
    },
    {
      name: '4.3.5.2 join_rule restricted: authorising user is not joined',
      event: member(CAROL, 'join', CAROL, { join_authorised_via_users_server: MOD }),
      state: room({ joinRule: 'restricted', members: { [MOD]: 'leave' } }),
      deny: `The user authorising the join (${MOD}) is not in the room`,
    },
    {
      name: '4.3.5.2 join_rule restricted: authorising user lacks the invite level',
      event: member(CAROL, 'join', CAROL, { join_authorised_via_users_server: BOB }),
      state: room({ joinRule: 'restricted', powerLevels: { users: { [ALICE]: 100 }, invite: 50 } }),
      deny: `(${BOB}) is not allowed to invite users`,
    },
    {
      name: '4.3.5.3 join_rule restricted: authorised by a joined member who can invite',
      event: member(CAROL, 'join', CAROL, { join_authorised_via_users_server: MOD }),
      state: room({ joinRule: 'restricted', powerLevels: { users: { [ALICE]: 100, [MOD]: 50 }, invite: 50 } }),
    },
    {
      name: '4.3.5 join_rule knock_restricted (new in v10): authorised join allowed',
      event: member(CAROL, 'join', CAROL, { join_authorised_via_users_server: MOD }),
      state: room({ joinRule: 'knock_restricted' }),
    },
    {
      name: '4.3.5 join_rule knock_restricted: unauthorised, uninvited join rejected',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'knock_restricted' }),
      deny: 'You need an invite to join this room',
    },
    {
      name: '4.3.5 join_rule knock_restricted: invited user may join',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'knock_restricted', members: { [CAROL]: 'invite' } }),
    },
    {
      name: '4.3.6 join_rule public: anyone not banned may join',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'public' }),
    },
    {
      name: '4.3.7 any other join rule (private) is rejected',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'private', members: { [CAROL]: 'invite' } }),
      deny: 'join rule (private)',
    },
  ]);
});

describe('rule 4.4: membership invite', () => {
  runCases([
    {
      name: '4.4.4 joined sender at the invite level (default 0) invites a new user',
      event: member(CAROL, 'invite', BOB),
      state: room(),
    },
    {
      name: '4.4.4 a user who left may be invited again',
      event: member(CAROL, 'invite', BOB),
      state: room({ members: { [CAROL]: 'leave' } }),
    },
    {
      name: '4.4.2 sender is not joined',
      event: member(CAROL, 'invite', BOB),
      state: room({ members: { [BOB]: 'invite' } }),
      deny: 'You must be in the room to invite users',
    },
    {
      name: '4.4.3 target is already joined',
      event: member(MOD, 'invite', BOB),
      state: room(),
      deny: `${MOD} is already in the room`,
    },
    {
      name: '4.4.3 target is banned',
      event: member(CAROL, 'invite', MOD),
      state: room({ members: { [CAROL]: 'ban' } }),
      deny: `${CAROL} is banned from this room`,
    },
    {
      name: "4.4.5 sender's power level is below the invite level",
      event: member(CAROL, 'invite', BOB),
      state: room({ powerLevels: { users: { [ALICE]: 100, [MOD]: 50 }, invite: 50 } }),
      deny: 'Your power level is too low to invite users',
    },
    {
      name: '4.4.4 invite level met exactly',
      event: member(CAROL, 'invite', MOD),
      state: room({ powerLevels: { users: { [ALICE]: 100, [MOD]: 50 }, invite: 50 } }),
    },
  ]);
});

describe('rule 4.5: membership leave', () => {
  runCases([
    {
      name: '4.5.1 a joined user leaves',
      event: member(BOB, 'leave'),
      state: room(),
    },
    {
      name: '4.5.1 an invited user rejects the invite',
      event: member(CAROL, 'leave'),
      state: room({ members: { [CAROL]: 'invite' } }),
    },
    {
      name: '4.5.1 a knocking user rescinds the knock',
      event: member(CAROL, 'leave'),
      state: room({ joinRule: 'knock', members: { [CAROL]: 'knock' } }),
    },
    {
      name: '4.5.1 a user who is not in the room cannot leave it',
      event: member(CAROL, 'leave'),
      state: room(),
      deny: 'You are not in this room',
    },
    {
      name: '4.5.1 a banned user cannot unban themself by leaving',
      event: member(CAROL, 'leave'),
      state: room({ members: { [CAROL]: 'ban' } }),
      deny: 'cannot unban yourself',
    },
    {
      name: "4.5.2 kick: sender's membership is not join",
      event: member(BOB, 'leave', CAROL),
      state: room(),
      deny: 'You must be in the room to remove other users',
    },
    {
      name: '4.5.4 kick: sender at the kick level with a higher level than the target',
      event: member(BOB, 'leave', MOD),
      state: room(),
    },
    {
      name: '4.5.4 kick: rescinding an invite is a kick too',
      event: member(CAROL, 'leave', MOD),
      state: room({ members: { [CAROL]: 'invite' } }),
    },
    {
      name: "4.5.5 kick: sender's power level is below the kick level",
      event: member(MOD, 'leave', BOB),
      state: room({ powerLevels: { users: { [ALICE]: 100, [MOD]: 50 }, users_default: -10 } }),
      deny: 'Your power level is too low to kick users',
    },
    {
      name: "4.5.5 kick: target's power level equals the sender's",
      event: member(MOD, 'leave', BOB),
      state: room({ powerLevels: { users: { [ALICE]: 100, [MOD]: 50, [BOB]: 50 } } }),
      deny: `You cannot kick ${MOD}: their power level is not below yours`,
    },
    {
      name: "4.5.5 kick: target's power level is above the sender's",
      event: member(ALICE, 'leave', MOD),
      state: room(),
      deny: `You cannot kick ${ALICE}`,
    },
    {
      name: '4.5.3 unban: target banned and sender below the ban level (though at kick level)',
      event: member(CAROL, 'leave', MOD),
      state: room({ members: { [CAROL]: 'ban' }, powerLevels: { users: { [ALICE]: 100, [MOD]: 50 }, ban: 75 } }),
      deny: 'Your power level is too low to unban users',
    },
    {
      name: '4.5.3/4.5.4 unban: sender at both the ban and kick levels',
      event: member(CAROL, 'leave', MOD),
      state: room({ members: { [CAROL]: 'ban' } }),
    },
    {
      name: '4.5.4 unban: sender at the ban level but below the kick level',
      event: member(CAROL, 'leave', MOD),
      state: room({ members: { [CAROL]: 'ban' }, powerLevels: { users: { [ALICE]: 100, [MOD]: 50 }, kick: 75 } }),
      deny: 'Your power level is too low to kick users',
    },
  ]);
});

describe('rule 4.6: membership ban', () => {
  runCases([
    {
      name: '4.6.2 sender at the ban level with a higher level than the target',
      event: member(BOB, 'ban', MOD),
      state: room(),
    },
    {
      name: '4.6.2 banning someone who never joined',
      event: member(CAROL, 'ban', MOD),
      state: room(),
    },
    {
      name: "4.6.1 sender's membership is not join",
      event: member(BOB, 'ban', MOD),
      state: room({ members: { [MOD]: 'leave' } }),
      deny: 'You must be in the room to ban users',
    },
    {
      name: "4.6.3 sender's power level is below the ban level",
      event: member(CAROL, 'ban', BOB),
      state: room(),
      deny: 'Your power level is too low to ban users',
    },
    {
      name: "4.6.3 target's power level is not below the sender's",
      event: member(ALICE, 'ban', MOD),
      state: room(),
      deny: `You cannot ban ${ALICE}`,
    },
  ]);
});

describe('rule 4.7: membership knock', () => {
  runCases([
    {
      name: '4.7.3 knock on a knock room by an outsider',
      event: member(CAROL, 'knock'),
      state: room({ joinRule: 'knock' }),
    },
    {
      name: '4.7.3 knock on a knock_restricted room (new in v10)',
      event: member(CAROL, 'knock'),
      state: room({ joinRule: 'knock_restricted' }),
    },
    {
      name: '4.7.3 a user who left may knock again',
      event: member(CAROL, 'knock'),
      state: room({ joinRule: 'knock', members: { [CAROL]: 'leave' } }),
    },
    {
      name: '4.7.1 join rule is neither knock nor knock_restricted',
      event: member(CAROL, 'knock'),
      state: room({ joinRule: 'restricted' }),
      deny: 'This room does not accept knocks',
    },
    {
      name: '4.7.2 sender does not match state_key',
      event: member(CAROL, 'knock', BOB),
      state: room({ joinRule: 'knock' }),
      deny: 'You cannot knock on behalf of another user',
    },
    {
      name: '4.7.4 sender is banned',
      event: member(CAROL, 'knock'),
      state: room({ joinRule: 'knock', members: { [CAROL]: 'ban' } }),
      deny: 'You are banned from this room',
    },
    {
      name: '4.7.4 sender is already invited',
      event: member(CAROL, 'knock'),
      state: room({ joinRule: 'knock', members: { [CAROL]: 'invite' } }),
      deny: 'You are already invited to this room',
    },
    {
      name: '4.7.4 sender is already joined',
      event: member(BOB, 'knock'),
      state: room({ joinRule: 'knock' }),
      deny: 'You are already in this room',
    },
  ]);
});
