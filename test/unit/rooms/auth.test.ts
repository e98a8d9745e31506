import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stateKey, type StateMap } from '../../../src/common/events.js';
import {
  authEventTypes,
  authorizeEvent,
  canRedact,
  checkAuthEvents,
  defaultPowerLevelContent,
  powerLevelsContent,
  requiredEventLevel,
  selectAuthState,
  shouldApplyRedaction,
  userPowerLevel,
} from '../../../src/rooms/auth/index.js';
import { ALICE, BOB, CAROL, MOD, createEvent, ev, member, room, runCases } from './auth-fixtures.js';

const create = (content = {}, extra = {}) => createEvent(content, extra);
const msg = (sender: string, type = 'm.room.message') => ev(type, sender, { body: 'hi' });
const stateEv = (sender: string, type: string, key = '') => ev(type, sender, {}, key);

describe('rule 1: m.room.create', () => {
  runCases([
    { name: '1.5 a well-formed create event', event: create(), state: new Map() },
    { name: '1.3 room_version absent is allowed', event: create({ room_version: undefined }), state: new Map() },
    {
      name: '1.1 it has prev_events',
      event: create({}, { prev_events: ['$x'] }),
      state: new Map(),
      deny: 'must be the first event',
    },
    {
      name: '1.2 the room_id domain does not match the sender domain',
      event: create({}, { room_id: '!room:elsewhere.test' }),
      state: new Map(),
      deny: "The room ID's server does not match",
    },
    {
      name: '1.3 content.room_version is not a recognised version',
      event: create({ room_version: 'banana' }),
      state: new Map(),
      deny: 'Room version "banana" is not supported',
    },
    {
      name: '1.3 content.room_version is not a string',
      event: create({ room_version: 10 }),
      state: new Map(),
      deny: 'Room version 10 is not supported',
    },
    {
      name: '1.4 content has no creator',
      event: create({ creator: undefined }),
      state: new Map(),
      deny: 'has no creator',
    },
  ]);
});

describe('rules 2-3: the create event in the auth state, m.federate', () => {
  const noCreate = room();
  noCreate.delete(stateKey('m.room.create', ''));
  runCases([
    { name: '2.4 no m.room.create event among the auth events', event: msg(BOB), state: noCreate, deny: 'no m.room.create' },
    {
      name: '3 m.federate false and the sender is from another server',
      event: msg(BOB),
      state: room({ createContent: { 'm.federate': false } }),
      deny: 'not open to users of other servers',
    },
    {
      name: '3 m.federate false also covers membership events',
      event: member(CAROL, 'join'),
      state: room({ joinRule: 'public', createContent: { 'm.federate': false } }),
      deny: 'not open to users of other servers',
    },
    {
      name: '3 m.federate false, sender on the creator server',
      event: msg(MOD),
      state: room({ createContent: { 'm.federate': false } }),
    },
  ]);
});

describe('rules 5-8: sender joined, third-party invites, event levels, user state keys', () => {
  runCases([
    { name: "5 sender's membership is not join (never in the room)", event: msg(CAROL), state: room(), deny: 'You are not in this room' },
    {
      name: "5 sender's membership is not join (invited only)",
      event: msg(CAROL),
      state: room({ members: { [CAROL]: 'invite' } }),
      deny: 'You are not in this room',
    },
    {
      name: "5 sender's membership is not join (left)",
      event: msg(BOB),
      state: room({ members: { [BOB]: 'leave' } }),
      deny: 'You are not in this room',
    },
    { name: '6.1 m.room.third_party_invite at the invite level', event: stateEv(BOB, 'm.room.third_party_invite', 'tok'), state: room() },
    {
      name: '6.1 m.room.third_party_invite below the invite level',
      event: stateEv(BOB, 'm.room.third_party_invite', 'tok'),
      state: room({ powerLevels: { users: { [ALICE]: 100 }, invite: 50 } }),
      deny: 'Your power level is too low to invite users',
    },
    { name: '7 message at events_default (0)', event: msg(BOB), state: room() },
    {
      name: '7 message below events_default',
      event: msg(BOB),
      state: room({ powerLevels: { users: { [ALICE]: 100 }, events_default: 10 } }),
      deny: 'Your power level is too low to send m.room.message',
    },
    {
      name: '7 state event below state_default (50)',
      event: stateEv(BOB, 'm.room.name'),
      state: room(),
      deny: 'Your power level is too low to send m.room.name',
    },
    { name: '7 state event at state_default', event: stateEv(MOD, 'm.room.name'), state: room() },
    {
      name: '7 the events entry overrides state_default',
      event: stateEv(MOD, 'm.room.history_visibility'),
      state: room({ powerLevels: { users: { [ALICE]: 100, [MOD]: 50 }, events: { 'm.room.history_visibility': 100 } } }),
      deny: 'Your power level is too low to send m.room.history_visibility',
    },
    {
      name: '7 the events entry overrides events_default',
      event: msg(BOB, 'm.reaction'),
      state: room({ powerLevels: { users: { [ALICE]: 100 }, events: { 'm.reaction': 1 } } }),
      deny: 'too low to send m.reaction',
    },
    {
      name: '7 without power levels only the creator reaches state_default',
      event: stateEv(MOD, 'm.room.topic'),
      state: room({ powerLevels: null }),
      deny: 'too low to send m.room.topic',
    },
    { name: '7 without power levels the creator sends state', event: stateEv(ALICE, 'm.room.topic'), state: room({ powerLevels: null }) },
    {
      name: '8 state_key starts with @ and is not the sender',
      event: stateEv(BOB, 'org.example.status', MOD),
      state: room({ powerLevels: { users: {}, state_default: 0 } }),
      deny: `Only ${MOD} may send state`,
    },
    {
      name: '8 state_key equal to the sender',
      event: stateEv(BOB, 'org.example.status', BOB),
      state: room({ powerLevels: { users: {}, state_default: 0 } }),
    },
    {
      name: '10 m.room.redaction falls through to allow whatever the redact level',
      event: { ...msg(BOB, 'm.room.redaction'), redacts: '$someone-elses' },
      state: room({ powerLevels: { users: { [ALICE]: 100 }, redact: 100 } }),
    },
    {
      name: '7 m.room.redaction still needs its event level',
      event: msg(BOB, 'm.room.redaction'),
      state: room({ powerLevels: { users: { [ALICE]: 100 }, events: { 'm.room.redaction': 50 } } }),
      deny: 'too low to send m.room.redaction',
    },
  ]);
});

describe('redactions', () => {
  const s = room();
  test('canRedact: anyone may redact their own events', () => assert.equal(canRedact(BOB, BOB, s), true));
  test("canRedact: below the redact level, not someone else's", () => assert.equal(canRedact(BOB, MOD, s), false));
  test("canRedact: at the redact level, someone else's", () => assert.equal(canRedact(MOD, BOB, s), true));
  test('canRedact: a user of the same server still needs the redact level', () =>
    assert.equal(canRedact('@eve:b.test', BOB, s), false));
  test('shouldApplyRedaction: same server as the original sender', () =>
    assert.equal(shouldApplyRedaction('@eve:b.test', BOB, s), true));
  test('shouldApplyRedaction: other server, below the redact level', () =>
    assert.equal(shouldApplyRedaction(BOB, MOD, s), false));
  test('shouldApplyRedaction: other server, at the redact level', () =>
    assert.equal(shouldApplyRedaction(MOD, BOB, s), true));
});

describe('power level helpers', () => {
  test('powerLevelsContent without a power levels event: spec defaults, creator at 100', () => {
    assert.deepEqual(powerLevelsContent(room({ powerLevels: null })), {
      users: { [ALICE]: 100 },
      users_default: 0,
      events: {},
      events_default: 0,
      state_default: 50,
      ban: 50,
      kick: 50,
      redact: 50,
      invite: 0,
      notifications: { room: 50 },
    });
  });
  test('powerLevelsContent fills in what the event leaves out and keeps what it sets', () => {
    const c = powerLevelsContent(room({ powerLevels: { users: { [BOB]: 5 }, kick: 20, users_default: 1 } }));
    assert.deepEqual(c.users, { [BOB]: 5 });
    assert.equal(c.kick, 20);
    assert.equal(c.users_default, 1);
    assert.equal(c.ban, 50);
    assert.equal(c.state_default, 50);
  });
  test('userPowerLevel: explicit entry, users_default, no-event creator rule', () => {
    const s = room({ powerLevels: { users: { [MOD]: 50 }, users_default: 3 } });
    assert.equal(userPowerLevel(MOD, s), 50);
    assert.equal(userPowerLevel(BOB, s), 3);
    assert.equal(userPowerLevel(ALICE, s), 3); // the creator is nothing special once levels exist
    const bare = room({ powerLevels: null });
    assert.equal(userPowerLevel(ALICE, bare), 100);
    assert.equal(userPowerLevel(BOB, bare), 0);
  });
  test('requiredEventLevel: events entry, else state_default or events_default', () => {
    const s = room({ powerLevels: { events: { 'm.room.name': 70 }, state_default: 40, events_default: 5 } });
    assert.equal(requiredEventLevel('m.room.name', true, s), 70);
    assert.equal(requiredEventLevel('m.room.topic', true, s), 40);
    assert.equal(requiredEventLevel('m.room.message', false, s), 5);
  });
  test('defaultPowerLevelContent: private_chat (the default) lets members invite', () => {
    const c = defaultPowerLevelContent(ALICE, undefined, [BOB]);
    assert.deepEqual(c.users, { [ALICE]: 100 });
    assert.equal(c.invite, 0);
    assert.equal((c.events as Record<string, number>)['m.room.power_levels'], 100);
    assert.equal(c.state_default, 50);
  });
  test('defaultPowerLevelContent: public_chat needs moderator to invite', () => {
    assert.equal(defaultPowerLevelContent(ALICE, 'public_chat').invite, 50);
  });
  test('defaultPowerLevelContent: trusted_private_chat gives invitees 100', () => {
    const c = defaultPowerLevelContent(ALICE, 'trusted_private_chat', [BOB, CAROL]);
    assert.deepEqual(c.users, { [ALICE]: 100, [BOB]: 100, [CAROL]: 100 });
  });
  test('defaultPowerLevelContent passes the v10 rules as the first power levels event', () => {
    const e = ev('m.room.power_levels', ALICE, defaultPowerLevelContent(ALICE, 'trusted_private_chat', [BOB]), '');
    assert.deepEqual(authorizeEvent(e, room({ powerLevels: null })), { allowed: true });
  });
});

describe('auth events selection', () => {
  const base: Array<[string, string]> = [
    ['m.room.create', ''],
    ['m.room.power_levels', ''],
  ];
  const cases: Array<{ name: string; event: Parameters<typeof authEventTypes>[0]; want: Array<[string, string]> }> = [
    { name: 'm.room.create has no auth events', event: create(), want: [] },
    { name: 'a message: create, power levels, sender member', event: msg(BOB), want: [...base, ['m.room.member', BOB]] },
    {
      name: 'a join: the sender is the target, plus join rules',
      event: member(BOB, 'join'),
      want: [...base, ['m.room.member', BOB], ['m.room.join_rules', '']],
    },
    {
      name: 'an invite: target member and join rules',
      event: member(CAROL, 'invite', BOB),
      want: [...base, ['m.room.member', BOB], ['m.room.member', CAROL], ['m.room.join_rules', '']],
    },
    {
      name: 'a knock includes join rules',
      event: member(CAROL, 'knock'),
      want: [...base, ['m.room.member', CAROL], ['m.room.join_rules', '']],
    },
    {
      name: 'a kick (leave) has no join rules',
      event: member(BOB, 'leave', MOD),
      want: [...base, ['m.room.member', MOD], ['m.room.member', BOB]],
    },
    {
      name: 'a third-party invite includes the m.room.third_party_invite of its token',
      event: member(CAROL, 'invite', BOB, { third_party_invite: { signed: { mxid: CAROL, token: 'tk' } } }),
      want: [
        ...base,
        ['m.room.member', BOB],
        ['m.room.member', CAROL],
        ['m.room.join_rules', ''],
        ['m.room.third_party_invite', 'tk'],
      ],
    },
    {
      name: "a restricted join includes the authorising user's member event",
      event: member(CAROL, 'join', CAROL, { join_authorised_via_users_server: MOD }),
      want: [...base, ['m.room.member', CAROL], ['m.room.join_rules', ''], ['m.room.member', MOD]],
    },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(authEventTypes(c.event).sort(), c.want.sort()));
  }

  test('selectAuthState keeps only the present selected entries', () => {
    const full = room({ extra: [stateEv(ALICE, 'm.room.name')] });
    const picked = selectAuthState(member(CAROL, 'invite', BOB), full);
    assert.deepEqual([...picked.keys()].sort(), [
      stateKey('m.room.create', ''),
      stateKey('m.room.join_rules', ''),
      stateKey('m.room.member', BOB),
      stateKey('m.room.power_levels', ''),
    ].sort());
  });

  const authOf = (s: StateMap, ...keys: string[]) => keys.map((k) => s.get(k)!);
  const s = room();
  const C = stateKey('m.room.create', '');
  const P = stateKey('m.room.power_levels', '');
  const B = stateKey('m.room.member', BOB);
  test('checkAuthEvents: 2 the expected entries are accepted and returned as a map', () => {
    const r = checkAuthEvents(msg(BOB), authOf(s, C, P, B));
    assert.equal(r.allowed, true);
    assert.deepEqual(r.allowed && [...r.authState.keys()], [C, P, B]);
  });
  test('checkAuthEvents: 2.1 duplicate entries for a type and state_key', () => {
    const r = checkAuthEvents(msg(BOB), [...authOf(s, C, P, B), { ...s.get(P)!, event_id: '$other' }]);
    assert.deepEqual(r, { allowed: false, reason: 'Duplicate auth events for (m.room.power_levels, "")' });
  });
  test('checkAuthEvents: 2.2 an entry the selection does not name', () => {
    const r = checkAuthEvents(msg(BOB), authOf(s, C, P, B, stateKey('m.room.join_rules', '')));
    assert.equal(r.allowed, false);
    assert.match(r.allowed ? '' : r.reason, /m\.room\.join_rules.*cannot be an auth event/);
  });
  test('checkAuthEvents: 2.4 no m.room.create event', () => {
    const r = checkAuthEvents(msg(BOB), authOf(s, P, B));
    assert.deepEqual(r, { allowed: false, reason: 'The auth events do not include the m.room.create event' });
  });
  test('checkAuthEvents: the create event has no auth events', () => {
    assert.equal(checkAuthEvents(create(), []).allowed, true);
    assert.equal(checkAuthEvents(create(), authOf(s, C)).allowed, false);
  });
});
