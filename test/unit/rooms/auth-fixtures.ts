/** Plain-object rooms and events for the authorization rule tables (not a test file itself). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stateKey, type JsonObject, type Pdu, type StateMap } from '../../../src/common/events.js';
import { authorizeEvent } from '../../../src/rooms/auth/index.js';

export const ROOM = '!room:a.test';
export const ALICE = '@alice:a.test'; // creator, level 100
export const MOD = '@mod:a.test'; // level 50
export const BOB = '@bob:b.test'; // level 0, joined
export const CAROL = '@carol:c.test'; // no membership at all
export const CREATE_ID = '$create';

let counter = 0;

export function ev(
  type: string,
  sender: string,
  content: JsonObject,
  key?: string,
  extra: Partial<Pdu> = {},
): Pdu {
  return {
    event_id: `$e${++counter}`,
    room_id: ROOM,
    sender,
    type,
    ...(key === undefined ? {} : { state_key: key }),
    content,
    origin_server_ts: 0,
    depth: 5,
    prev_events: ['$prev'],
    auth_events: [],
    hashes: { sha256: 'dummy' },
    signatures: {},
    ...extra,
  };
}

export const member = (user: string, membership: string, sender = user, content: JsonObject = {}) =>
  ev('m.room.member', sender, { membership, ...content }, user);

export const createEvent = (content: JsonObject = {}, extra: Partial<Pdu> = {}) =>
  ev('m.room.create', ALICE, { creator: ALICE, room_version: '10', ...content }, '', {
    event_id: CREATE_ID,
    prev_events: [],
    depth: 1,
    ...extra,
  });

export const DEFAULT_LEVELS: JsonObject = { users: { [ALICE]: 100, [MOD]: 50 } };

export interface RoomSpec {
  /** null: no join rules event */
  joinRule?: string | null;
  /** merged over alice, mod and bob all joined */
  members?: Record<string, string>;
  /** null: no power levels event */
  powerLevels?: JsonObject | null;
  createContent?: JsonObject;
  extra?: Pdu[];
}

export function room(spec: RoomSpec = {}): StateMap {
  const state: StateMap = new Map();
  const put = (e: Pdu) => state.set(stateKey(e.type, e.state_key ?? ''), e);
  put(createEvent(spec.createContent));
  const members = { [ALICE]: 'join', [MOD]: 'join', [BOB]: 'join', ...spec.members };
  for (const [user, m] of Object.entries(members)) put(member(user, m));
  if (spec.powerLevels !== null) put(ev('m.room.power_levels', ALICE, spec.powerLevels ?? DEFAULT_LEVELS, ''));
  if (spec.joinRule !== null) put(ev('m.room.join_rules', ALICE, { join_rule: spec.joinRule ?? 'invite' }, ''));
  for (const e of spec.extra ?? []) put(e);
  return state;
}

/** One row per rule: `deny` is a fragment the reason must contain; without it, the event is allowed. */
export interface AuthCase {
  name: string;
  event: Pdu;
  state: StateMap;
  deny?: string;
}

export function runCases(cases: AuthCase[]): void {
  for (const c of cases) {
    test(`${c.deny === undefined ? 'allow' : 'reject'}: ${c.name}`, () => {
      const result = authorizeEvent(c.event, c.state);
      if (c.deny === undefined) {
        assert.deepEqual(result, { allowed: true });
      } else {
        assert.equal(result.allowed, false);
        const reason = result.allowed ? '' : result.reason;
        assert.ok(reason.includes(c.deny), `reason was: ${reason}`);
      }
    });
  }
}
