import { describe } from 'node:test';
import type { JsonObject } from '../../../src/common/events.js';
import { ALICE, BOB, MOD, ev, room, runCases } from './auth-fixtures.js';

// Moderators may send power levels here, so rule 9's limits (not rule 7) are what they meet.
const BASE: JsonObject = {
  users: { [ALICE]: 100, [MOD]: 50, [BOB]: 10 },
  events: { 'm.room.power_levels': 50, 'm.room.topic': 100 },
  notifications: { room: 50 },
  kick: 75,
};
const modRoom = () => room({ powerLevels: BASE });
const pl = (sender: string, content: JsonObject) => ev('m.room.power_levels', sender, content, '');
const change = (sender: string, patch: JsonObject) => pl(sender, { ...BASE, ...patch });
const users = (patch: Record<string, number | undefined>) => {
  const u: Record<string, number> = {};
  for (const [k, v] of Object.entries({ ...(BASE.users as Record<string, number>), ...patch })) {
    if (v !== undefined) u[k] = v;
  }
  return { users: u };
};

describe('rule 9.1-9.3: v10 power levels must be integers', () => {
  runCases([
    {
      name: '9.1 a level given as a string ("50") is rejected in v10',
      event: change(ALICE, { ban: '50' }),
      state: modRoom(),
      deny: "The power level 'ban' must be an integer",
    },
    {
      name: '9.1 a fractional level is rejected',
      event: change(ALICE, { users_default: 0.5 }),
      state: modRoom(),
      deny: "'users_default' must be an integer",
    },
    {
      name: '9.1 a level beyond the canonical JSON integer range is rejected',
      event: change(ALICE, { state_default: 2 ** 53 }),
      state: modRoom(),
      deny: "'state_default' must be an integer",
    },
    {
      name: '9.2 events values must be integers',
      event: change(ALICE, { events: { 'm.room.name': '50' } }),
      state: modRoom(),
      deny: "'events' must be an object whose power levels are integers",
    },
    {
      name: '9.2 events must be an object',
      event: change(ALICE, { events: [50] }),
      state: modRoom(),
      deny: "'events' must be an object",
    },
    {
      name: '9.2 notifications values must be integers',
      event: change(ALICE, { notifications: { room: 50.5 } }),
      state: modRoom(),
      deny: "'notifications' must be an object whose power levels are integers",
    },
    {
      name: '9.3 users values must be integers',
      event: change(ALICE, { users: { [ALICE]: '100' } }),
      state: modRoom(),
      deny: `The power level of ${ALICE} must be an integer`,
    },
    {
      name: '9.3 users keys must be user IDs',
      event: change(ALICE, { users: { [ALICE]: 100, 'not-a-user': 5 } }),
      state: modRoom(),
      deny: '"not-a-user", which is not a user ID',
    },
    {
      name: '9.3 users must be an object',
      event: change(ALICE, { users: null }),
      state: modRoom(),
      deny: "'users' must be an object",
    },
    {
      name: '9.3 the first power levels event is checked for integers too',
      event: pl(ALICE, { users: { [ALICE]: 100 }, kick: '50' }),
      state: room({ powerLevels: null }),
      deny: "'kick' must be an integer",
    },
  ]);
});

describe('rule 9.4-9.10: power level changes', () => {
  runCases([
    {
      name: '9.4 no previous power levels event: allow (the creator, at 100 by default)',
      event: pl(ALICE, { users: { [ALICE]: 100, [BOB]: 100 }, ban: 0 }),
      state: room({ powerLevels: null }),
    },
    {
      name: '7 before 9.4: a non-creator cannot send the first power levels event (state_default 50)',
      event: pl(BOB, { users: { [BOB]: 100 } }),
      state: room({ powerLevels: null }),
      deny: 'Your power level is too low to send m.room.power_levels',
    },
    {
      name: '9.5 an admin changes ban from the default',
      event: change(ALICE, { ban: 60 }),
      state: modRoom(),
    },
    {
      name: '9.5.1 current value (kick 75) above the sender',
      event: change(MOD, { kick: 40 }),
      state: modRoom(),
      deny: "You cannot change 'kick' from 75: that is above your power level (50)",
    },
    {
      name: '9.5.1 removing a value above the sender counts as a change',
      event: pl(MOD, { users: BASE.users, events: BASE.events, notifications: BASE.notifications }),
      state: modRoom(),
      deny: "You cannot change 'kick' from 75",
    },
    {
      name: '9.5.2 new value above the sender',
      event: change(MOD, { redact: 60 }),
      state: modRoom(),
      deny: "You cannot set 'redact' to 60: that is above your power level (50)",
    },
    {
      name: '9.5 adding a value at the sender level (nothing was there before)',
      event: change(MOD, { invite: 50 }),
      state: modRoom(),
    },
    {
      name: '9.6.1 changing an events entry whose current value is above the sender',
      event: change(MOD, { events: { 'm.room.power_levels': 50, 'm.room.topic': 0 } }),
      state: modRoom(),
      deny: 'You cannot change the level of m.room.topic from 100',
    },
    {
      name: '9.6.1 removing an events entry whose current value is above the sender',
      event: change(MOD, { events: { 'm.room.power_levels': 50 } }),
      state: modRoom(),
      deny: 'You cannot change the level of m.room.topic from 100',
    },
    {
      name: '9.7.1 adding an events entry above the sender',
      event: change(MOD, { events: { ...(BASE.events as JsonObject), 'm.room.name': 60 } }),
      state: modRoom(),
      deny: 'You cannot set the level of m.room.name to 60',
    },
    {
      name: '9.7 adding an events entry at the sender level',
      event: change(MOD, { events: { ...(BASE.events as JsonObject), 'm.room.name': 50 } }),
      state: modRoom(),
    },
    {
      name: '9.7.1 raising a notifications entry above the sender',
      event: change(MOD, { notifications: { room: 60 } }),
      state: modRoom(),
      deny: 'You cannot set the room notification level to 60',
    },
    {
      name: '9.6.1 changing a notifications entry whose current value is above the sender',
      event: change(MOD, { notifications: { room: 10 } }),
      state: room({ powerLevels: { ...BASE, notifications: { room: 90 } } }),
      deny: 'You cannot change the room notification level from 90',
    },
    {
      name: '9.8.1 changing a user whose level equals the sender',
      event: change(MOD, users({ [ALICE]: 100, '@mod2:a.test': 0 })),
      state: room({ powerLevels: { ...BASE, ...users({ '@mod2:a.test': 50 }) } }),
      deny: 'You cannot change the power level of @mod2:a.test: it is not below yours (50)',
    },
    {
      name: '9.8.1 removing a user whose level is above the sender',
      event: change(MOD, users({ [ALICE]: undefined })),
      state: modRoom(),
      deny: `You cannot change the power level of ${ALICE}`,
    },
    {
      name: "9.8 the sender may lower their own entry",
      event: change(MOD, users({ [MOD]: 0 })),
      state: modRoom(),
    },
    {
      name: '9.9.1 the sender may not raise themself',
      event: change(MOD, users({ [MOD]: 51 })),
      state: modRoom(),
      deny: `You cannot give ${MOD} a power level of 51, above your own (50)`,
    },
    {
      name: '9.9 promoting a lower user up to the sender level',
      event: change(MOD, users({ [BOB]: 50 })),
      state: modRoom(),
    },
    {
      name: '9.9.1 promoting a user above the sender level',
      event: change(MOD, users({ [BOB]: 60 })),
      state: modRoom(),
      deny: `You cannot give ${BOB} a power level of 60`,
    },
    {
      name: '9.9.1 adding a new user above the sender level',
      event: change(MOD, users({ '@new:a.test': 70 })),
      state: modRoom(),
      deny: 'You cannot give @new:a.test a power level of 70',
    },
    {
      name: '9.8 removing a user below the sender',
      event: change(MOD, users({ [BOB]: undefined })),
      state: modRoom(),
    },
    {
      name: '9.10 resending unchanged power levels',
      event: change(MOD, {}),
      state: modRoom(),
    },
  ]);
});
