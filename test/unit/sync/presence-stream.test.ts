/**
 * The presence section of /sync (DESIGN §1.5 "Who sees whom"), one case per rule:
 * PresenceStream.fill over a real PresenceService and MembershipIndex, with an in-memory
 * store, a manual clock and a waker that only records. No HTTP server.
 *
 * Every case runs twice: with a profile cache that answers synchronously (fill must then
 * finish without a promise) and with one that answers with promises.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/common/clock.js';
import type { JsonObject } from '../../../src/common/events.js';
import type { PresenceConfig } from '../../../src/config/index.js';
import { defaultConfig } from '../../../src/config/defaults.js';
import { PresenceService } from '../../../src/presence/service.js';
import type { PresenceInput, RequestedPresence } from '../../../src/presence/types.js';
import { MembershipIndex } from '../../../src/rooms/membershipIndex.js';
import type { EventFilter, Filter } from '../../../src/sync/filter.js';
import { PresenceStream, type ProfileCache } from '../../../src/sync/streams/presence.js';
import type { SyncContext, SyncResponse } from '../../../src/sync/streams/types.js';
import { zeroPositions, type StreamPositions } from '../../../src/sync/token.js';
import { MemoryPresenceStore, RecordingWaker } from '../presence/memory.js';

const A = '@alice:x';
const B = '@bob:x';
const C = '@carol:x';
const D = '@dave:x';
const E = '@erin:x';
const V = '@viewer:x';
const ROOM = '!r:x';
const OTHER = '!s:x';

/** The profile every user has in these tests: a display name from the localpart. */
const displayname = (userId: string) => userId.slice(1, userId.indexOf(':'));

type ProfileMode = 'sync' | 'async';

class World {
  readonly clock = new ManualClock();
  readonly index = new MembershipIndex();
  readonly waker = new RecordingWaker();
  readonly cfg: PresenceConfig;
  readonly service: PresenceService;
  readonly stream: PresenceStream;

  constructor(cfg: Partial<PresenceConfig>, readonly profileMode: ProfileMode, readonly store = new MemoryPresenceStore()) {
    this.cfg = { ...defaultConfig().presence, ...cfg };
    this.service = new PresenceService(this.cfg, this.store, this.clock, this.index, this.waker);
    const profiles: ProfileCache = (userId) => {
      const p = { displayname: displayname(userId), avatar_url: null };
      return profileMode === 'sync' ? p : Promise.resolve(p);
    };
    this.stream = new PresenceStream(this.service, profiles);
  }

  /** A join as the server does it: the index first, then the presence introduction. */
  join(roomId: string, ...users: string[]): void {
    for (const u of users) {
      this.index.apply(roomId, u, 'join');
      this.service.joined(roomId, u);
    }
  }

  leave(roomId: string, userId: string): void {
    this.index.apply(roomId, userId, 'leave');
  }

  /** PUT /presence/{userId}/status from device D. */
  put(userId: string, presence: RequestedPresence, statusMsg?: string | null): void {
    this.apply(userId, { kind: 'setPresence', deviceId: 'D', presence, statusMsg });
  }

  appearOffline(userId: string, enabled: boolean): void {
    this.apply(userId, { kind: 'setAppearOffline', enabled });
  }

  apply(userId: string, input: PresenceInput): void {
    this.service.apply(userId, input);
  }

  position(): number {
    return this.service.position();
  }
}

function positions(presence: number): StreamPositions {
  return { ...zeroPositions(), presence };
}

interface Synced {
  events: JsonObject[];
  /** What fill returned: undefined when it finished synchronously. */
  returned: unknown;
}

async function sync(w: World, viewer: string, since: number | null, opts: { filter?: EventFilter; fullState?: boolean } = {}): Promise<Synced> {
  const response = { presence: { events: [] } } as unknown as SyncResponse;
  const filter: Filter = opts.filter === undefined ? {} : { presence: opts.filter };
  const ctx: SyncContext = {
    userId: viewer,
    deviceId: 'VD',
    filter,
    since: since === null ? null : positions(since),
    to: positions(w.position()),
    fullState: opts.fullState ?? false,
    now: w.clock.now(),
    joinedRooms: [...w.index.roomsOf(viewer)],
    newlyJoined: new Set(),
    response,
    joined: () => {
      throw new Error('the presence stream has no room sections');
    },
  };
  const returned = w.stream.fill(ctx);
  await returned;
  return { events: response.presence.events, returned };
}

/** The part of a presence event the rules speak about. */
interface Shown {
  presence: string;
  status_msg?: string;
  appear_offline?: true;
}

function shown(content: JsonObject): Shown {
  const out: Shown = { presence: content.presence as string };
  if (content.status_msg !== undefined) out.status_msg = content.status_msg as string;
  if (content.appear_offline !== undefined) out.appear_offline = content.appear_offline as true;
  return out;
}

interface Case {
  /** The rule checked, in DESIGN §1.5's words where it has them. */
  rule: string;
  cfg?: Partial<PresenceConfig>;
  /** Everything that happened before the viewer's token. */
  before?: (w: World) => void;
  /** What happens after the token; absent: an initial sync (since = null) after `before`. */
  after?: (w: World) => void;
  viewer: string;
  filter?: EventFilter;
  /** An incremental token with full_state=true. */
  fullState?: boolean;
  /** Exactly these senders, each with this presence (status_msg and appear_offline only when given). */
  expect: Record<string, Shown>;
  /** Senders that may appear or not (e.g. the joiner among the users a join introduces). */
  mayAlsoShow?: string[];
  /** Exactly this many events, when the rule decides the count but not who (limit). */
  count?: number;
  /** Woken by what happened after the token (incremental cases). */
  woken?: string[];
  notWoken?: string[];
  /** Further checks on the raw events. */
  check?: (events: JsonObject[]) => void;
}

const online = (status_msg?: string): Shown => (status_msg === undefined ? { presence: 'online' } : { presence: 'online', status_msg });
const unavailable = (status_msg?: string): Shown => (status_msg === undefined ? { presence: 'unavailable' } : { presence: 'unavailable', status_msg });
const offline: Shown = { presence: 'offline' };

/** Content fields that say something about a user's activity or status. */
const REVEALING = ['last_active_ago', 'currently_active', 'status_msg', 'appear_offline'];

function assertRevealsNothing(events: JsonObject[], sender: string): void {
  const ev = events.find((e) => e.sender === sender);
  assert.ok(ev, `${sender} is not in the response`);
  const content = ev.content as JsonObject;
  for (const k of REVEALING) assert.equal(content[k], undefined, `${sender}'s ${k} leaks to others: ${JSON.stringify(content)}`);
  assert.equal(content.presence, 'offline');
}

const CASES: Case[] = [
  // --- a user's presence reaches users who share a joined room, and the user themself ---
  {
    rule: "a user's presence reaches a user who shares a joined room",
    before: (w) => w.join(ROOM, A, B),
    after: (w) => w.put(A, 'online', 'hi'),
    viewer: B,
    expect: { [A]: online('hi') },
    woken: [A, B],
  },
  {
    rule: "a user's presence reaches the user themself",
    before: (w) => w.join(ROOM, A, B),
    after: (w) => w.put(A, 'unavailable', 'away'),
    viewer: A,
    expect: { [A]: unavailable('away') },
    woken: [A],
  },
  {
    rule: "a user's presence reaches the user themself, even in no room at all",
    after: (w) => w.put(A, 'online', 'alone'),
    viewer: A,
    expect: { [A]: online('alone') },
    woken: [A],
  },
  {
    rule: "a user's presence reaches a user who shares any one of several rooms",
    before: (w) => {
      w.join(ROOM, A, C);
      w.join(OTHER, A, B);
    },
    after: (w) => w.put(A, 'online'),
    viewer: B,
    expect: { [A]: online() },
    woken: [B, C],
  },
  // --- it does not reach a user who shares no room ---
  {
    rule: "a user's presence does not reach a user who shares no room",
    before: (w) => {
      w.join(ROOM, A, B);
      w.join(OTHER, B, C);
    },
    after: (w) => w.put(A, 'online', 'hi'),
    viewer: C,
    expect: {},
    notWoken: [C],
  },
  {
    rule: "a user's presence does not reach a user who left the only shared room",
    before: (w) => {
      w.join(ROOM, A, B);
      w.put(A, 'online');
      w.leave(ROOM, B);
    },
    after: (w) => w.put(A, 'unavailable', 'gone'),
    viewer: B,
    expect: {},
    notWoken: [B],
  },
  {
    rule: 'an initial sync does not list an online user who shares no room',
    before: (w) => {
      w.join(ROOM, V, A);
      w.join(OTHER, C);
      w.put(V, 'online');
      w.put(A, 'online');
      w.put(C, 'online', 'elsewhere');
    },
    viewer: V,
    expect: { [V]: online(), [A]: online() },
  },
  // --- initial sync: everyone visible, offline left out unless include_offline_users_on_sync ---
  {
    rule: 'an initial sync lists every visible user and leaves offline ones out',
    before: (w) => {
      w.join(ROOM, V, A, B, D, E);
      w.put(V, 'online');
      w.put(A, 'online', 'here');
      w.put(B, 'unavailable');
      // D was online and went offline; E was never seen at all.
      w.put(D, 'online', 'was here');
      w.put(D, 'offline');
    },
    viewer: V,
    expect: { [V]: online(), [A]: online('here'), [B]: unavailable() },
  },
  {
    rule: 'an initial sync lists offline visible users too with include_offline_users_on_sync',
    cfg: { includeOfflineUsersOnSync: true },
    before: (w) => {
      w.join(ROOM, V, A, B, D, E);
      w.join(OTHER, C);
      w.put(V, 'online');
      w.put(A, 'online', 'here');
      w.put(B, 'unavailable');
      w.put(D, 'online');
      w.put(D, 'offline', 'bye');
    },
    viewer: V,
    expect: { [V]: online(), [A]: online('here'), [B]: unavailable(), [D]: { presence: 'offline', status_msg: 'bye' }, [E]: offline },
  },
  {
    rule: 'an initial sync of a user in no room lists only themself',
    before: (w) => {
      w.join(ROOM, A, B);
      w.put(A, 'online');
      w.put(V, 'online', 'me');
    },
    viewer: V,
    expect: { [V]: online('me') },
  },
  {
    rule: 'a full-state sync lists every visible user, changed since the token or not',
    before: (w) => {
      w.join(ROOM, V, A, B, D);
      w.put(A, 'online', 'old news');
      w.put(D, 'offline');
    },
    after: (w) => w.put(B, 'unavailable'),
    fullState: true,
    viewer: V,
    expect: { [A]: online('old news'), [B]: unavailable() },
  },
  // --- incremental sync: each changed visible user once, latest state ---
  {
    rule: 'an incremental sync lists each changed visible user once, with the latest state',
    before: (w) => w.join(ROOM, V, A, B),
    after: (w) => {
      w.put(A, 'online', 'one');
      w.put(B, 'online');
      w.put(A, 'unavailable', 'two');
      w.put(A, 'online', 'three');
      w.clock.advance(1000);
      w.put(B, 'unavailable', 'later');
    },
    viewer: V,
    expect: { [A]: online('three'), [B]: unavailable('later') },
  },
  {
    rule: 'an incremental sync leaves out visible users who did not change since the token',
    before: (w) => {
      w.join(ROOM, V, A, B);
      w.put(A, 'online', 'unchanged');
    },
    after: (w) => w.put(B, 'online'),
    viewer: V,
    expect: { [B]: online() },
  },
  {
    rule: 'an incremental sync lists a visible user who went offline, as offline',
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'online', 'leaving soon');
    },
    after: (w) => w.put(A, 'offline', null),
    viewer: V,
    expect: { [A]: offline },
  },
  {
    rule: 'an incremental sync at the current position lists nobody',
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'online');
    },
    after: () => undefined,
    viewer: V,
    expect: {},
  },
  // --- appear offline ---
  {
    rule: 'appear-offline shows offline to others',
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'online', 'busy');
    },
    after: (w) => w.appearOffline(A, true),
    viewer: V,
    expect: { [A]: offline },
    woken: [V, A],
    check: (events) => assertRevealsNothing(events, A),
  },
  {
    rule: 'appear-offline shows the real state and appear_offline: true to oneself',
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'online', 'busy');
    },
    after: (w) => w.appearOffline(A, true),
    viewer: A,
    expect: { [A]: { presence: 'online', status_msg: 'busy', appear_offline: true } },
  },
  {
    rule: "appear-offline (PUT 'hidden') shows offline to others",
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'unavailable', 'do not disturb');
    },
    after: (w) => w.put(A, 'hidden'),
    viewer: V,
    expect: { [A]: offline },
    check: (events) => assertRevealsNothing(events, A),
  },
  {
    rule: "appear-offline (PUT 'hidden') shows the real state and appear_offline: true to oneself",
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'unavailable', 'do not disturb');
    },
    after: (w) => w.put(A, 'hidden'),
    viewer: A,
    expect: { [A]: { presence: 'unavailable', status_msg: 'do not disturb', appear_offline: true } },
  },
  {
    rule: 'appear-offline keeps later changes from others: they still see offline',
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'online', 'busy');
      w.appearOffline(A, true);
    },
    after: (w) => w.put(A, 'offline', 'new status'),
    viewer: V,
    expect: {},
    notWoken: [V],
  },
  {
    rule: 'appear-offline: an initial sync of others leaves the user out, as offline',
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(V, 'online');
      w.put(A, 'online', 'busy');
      w.appearOffline(A, true);
    },
    viewer: V,
    expect: { [V]: online() },
  },
  {
    rule: 'appear-offline: an initial sync of others with include_offline_users_on_sync shows only offline',
    cfg: { includeOfflineUsersOnSync: true },
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(V, 'online');
      w.put(A, 'online', 'busy');
      w.appearOffline(A, true);
    },
    viewer: V,
    expect: { [V]: online(), [A]: offline },
    check: (events) => assertRevealsNothing(events, A),
  },
  {
    rule: "appear-offline: one's own initial sync shows the real state and appear_offline: true",
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'online', 'busy');
      w.appearOffline(A, true);
    },
    viewer: A,
    expect: { [A]: { presence: 'online', status_msg: 'busy', appear_offline: true } },
  },
  {
    rule: "appear-offline while offline reaches only oneself, with appear_offline: true",
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'online');
      w.put(A, 'offline');
    },
    after: (w) => w.appearOffline(A, true),
    viewer: A,
    expect: { [A]: { presence: 'offline', appear_offline: true } },
    woken: [A],
    notWoken: [V],
  },
  {
    rule: 'appear-offline while offline is not news to others',
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'online');
      w.put(A, 'offline');
    },
    after: (w) => w.appearOffline(A, true),
    viewer: V,
    expect: {},
  },
  {
    rule: 'appear-offline turned off shows the real state to others again',
    before: (w) => {
      w.join(ROOM, V, A);
      w.put(A, 'online', 'back');
      w.appearOffline(A, true);
    },
    after: (w) => w.appearOffline(A, false),
    viewer: V,
    expect: { [A]: online('back') },
  },
  // --- a join introduces the room's members to the joiner and the joiner to the members ---
  {
    rule: "a join introduces the room's members to the joiner",
    before: (w) => {
      w.join(ROOM, A, B, D);
      w.put(A, 'online', 'hello');
      w.put(B, 'unavailable');
      w.put(C, 'online');
    },
    after: (w) => w.join(ROOM, C),
    viewer: C,
    // D is offline: introduced users are left out when offline. C learning about itself is harmless.
    expect: { [A]: online('hello'), [B]: unavailable() },
    mayAlsoShow: [C],
    woken: [A, B, C, D],
  },
  {
    rule: "a join introduces the room's offline members to the joiner with include_offline_users_on_sync",
    cfg: { includeOfflineUsersOnSync: true },
    before: (w) => {
      w.join(ROOM, A, D);
      w.put(A, 'online');
      w.put(C, 'online');
    },
    after: (w) => w.join(ROOM, C),
    viewer: C,
    expect: { [A]: online(), [D]: offline },
    mayAlsoShow: [C],
  },
  {
    rule: 'a join introduces the joiner to the members',
    before: (w) => {
      w.join(ROOM, A, B);
      w.put(A, 'online');
      w.put(C, 'online', 'new here');
    },
    after: (w) => w.join(ROOM, C),
    viewer: A,
    expect: { [C]: online('new here') },
  },
  {
    rule: 'a join introduces the joiner to every member, not only to those online',
    before: (w) => {
      w.join(ROOM, A, B);
      w.put(C, 'unavailable', 'new here');
    },
    after: (w) => w.join(ROOM, C),
    viewer: B,
    expect: { [C]: unavailable('new here') },
  },
  {
    rule: 'a join does not introduce an offline joiner to the members',
    before: (w) => {
      w.join(ROOM, A, B);
      w.put(A, 'online');
    },
    after: (w) => w.join(ROOM, C),
    viewer: A,
    expect: {},
  },
  {
    rule: "a join introduces the joiner to the members, not the joiner's other rooms' members",
    before: (w) => {
      w.join(ROOM, A, B);
      w.join(OTHER, C, E);
      w.put(A, 'online');
      w.put(E, 'online');
      w.put(C, 'online');
    },
    after: (w) => w.join(ROOM, C),
    viewer: A,
    expect: { [C]: online() },
  },
  {
    rule: "a join shows the joiner the members' latest state when they also changed",
    before: (w) => {
      w.join(ROOM, A);
      w.put(A, 'online', 'first');
      w.put(C, 'online');
    },
    after: (w) => {
      w.join(ROOM, C);
      w.put(A, 'unavailable', 'second');
    },
    viewer: C,
    expect: { [A]: unavailable('second') },
    mayAlsoShow: [C],
  },
  // --- presence filter: senders, not_senders, types, not_types, limit ---
  ...filterCases(),
];

/** Three visible users who all change after the token; the filter picks among them. */
function filterCases(): Case[] {
  const base = {
    before: (w: World) => w.join(ROOM, V, A, B, C),
    after: (w: World) => {
      w.put(A, 'online', 'a');
      w.put(B, 'online', 'b');
      w.put(C, 'unavailable', 'c');
    },
    viewer: V,
  };
  const all = { [A]: online('a'), [B]: online('b'), [C]: unavailable('c') };
  const initialBefore = (w: World) => {
    base.before(w);
    base.after(w);
  };
  return [
    { ...base, rule: 'presence filter senders: only the listed senders', filter: { senders: [A, C] }, expect: { [A]: online('a'), [C]: unavailable('c') } },
    { ...base, rule: 'presence filter senders: an empty list matches nobody', filter: { senders: [] }, expect: {} },
    { ...base, rule: 'presence filter not_senders: the listed senders are left out', filter: { not_senders: [B] }, expect: { [A]: online('a'), [C]: unavailable('c') } },
    { ...base, rule: 'presence filter not_senders wins over senders', filter: { senders: [A, B], not_senders: [B] }, expect: { [A]: online('a') } },
    { ...base, rule: 'presence filter types: m.presence matches', filter: { types: ['m.presence'] }, expect: all },
    { ...base, rule: 'presence filter types: a wildcard matches m.presence', filter: { types: ['m.*'] }, expect: all },
    { ...base, rule: 'presence filter types: other types match nothing', filter: { types: ['m.room.message'] }, expect: {} },
    { ...base, rule: 'presence filter not_types: m.presence leaves everything out', filter: { not_types: ['m.presence'] }, expect: {} },
    { ...base, rule: "presence filter not_types: '*' leaves everything out", filter: { not_types: ['*'] }, expect: {} },
    { ...base, rule: 'presence filter not_types: other types leave presence in', filter: { not_types: ['m.room.*'] }, expect: all },
    { ...base, rule: 'presence filter limit: at most that many events', filter: { limit: 2 }, expect: {}, mayAlsoShow: [A, B, C], count: 2 },
    { ...base, rule: 'presence filter limit: counts only events the other fields let through', filter: { senders: [C], limit: 1 }, expect: { [C]: unavailable('c') } },
    { ...base, rule: 'presence filter limit above the number of changes cuts nothing', filter: { limit: 10 }, expect: all },
    { rule: 'presence filter applies to an initial sync too', before: initialBefore, viewer: V, filter: { not_senders: [A], limit: 1 }, expect: {}, mayAlsoShow: [B, C], count: 1 },
  ];
}

async function runCase(c: Case, mode: ProfileMode): Promise<void> {
  const w = new World(c.cfg ?? {}, mode);
  c.before?.(w);
  let since: number | null = null;
  if (c.after) {
    since = w.position();
    w.waker.woken.clear();
    c.after(w);
  }
  const { events, returned } = await sync(w, c.viewer, since, { filter: c.filter, fullState: c.fullState });
  if (mode === 'sync') assert.equal(returned, undefined, 'with every profile cached, fill finishes without a promise');

  const senders = events.map((e) => e.sender as string);
  assert.equal(new Set(senders).size, senders.length, `each user at most once: ${senders.join(', ')}`);
  for (const e of events) {
    assert.equal(e.type, 'm.presence');
    assert.equal((e.content as JsonObject).displayname, displayname(e.sender as string), 'the profile rides along');
  }
  const got = Object.fromEntries(events.map((e) => [e.sender as string, shown(e.content as JsonObject)]));
  const optional = new Set(c.mayAlsoShow ?? []);
  const required = Object.fromEntries(Object.entries(got).filter(([s]) => !optional.has(s) || s in c.expect));
  assert.deepEqual(required, c.expect, `viewer ${c.viewer} saw ${JSON.stringify(events)}`);
  if (c.count !== undefined) assert.equal(events.length, c.count, `viewer ${c.viewer} saw ${JSON.stringify(events)}`);
  for (const u of c.woken ?? []) assert.ok(w.waker.woken.has(u), `${u} is woken`);
  for (const u of c.notWoken ?? []) assert.ok(!w.waker.woken.has(u), `${u} is not woken`);
  c.check?.(events);
}

describe('presence stream: who sees whom (DESIGN §1.5)', () => {
  for (const mode of ['sync', 'async'] as const) {
    describe(`profiles answered ${mode === 'sync' ? 'from the cache' : 'by promises'}`, () => {
      for (const c of CASES) test(c.rule, () => runCase(c, mode));
    });
  }

  test('presence.enabled=false: fill adds nothing, initial or incremental', async () => {
    const w = new World({ enabled: false }, 'sync');
    w.join(ROOM, V, A);
    w.put(A, 'online');
    w.put(V, 'online');
    assert.deepEqual((await sync(w, V, null)).events, []);
    assert.deepEqual((await sync(w, V, 0)).events, []);
  });

  test('a token from before a restart gets a snapshot: unchanged visible users too, offline left out', async () => {
    const before = new World({}, 'sync');
    before.join(ROOM, V, B, D);
    before.put(B, 'online', 'from before the restart');
    const token = before.position();
    await before.service.close();

    // Same store and memberships, a new process: positions continue above the stored mark.
    const w = new World({}, 'sync', before.store);
    w.index.load([V, B, D].map((userId) => ({ roomId: ROOM, userId })));
    await w.service.load();
    assert.ok(w.position() >= 10_000, `positions continue above the mark, at ${w.position()}`);
    assert.equal(w.service.changeLog().covers(token), false, 'the old token is not covered by the new log');
    w.join(ROOM, A);
    w.put(A, 'online', 'after');
    const { events } = await sync(w, V, token);
    assert.deepEqual(Object.fromEntries(events.map((e) => [e.sender, shown(e.content as JsonObject)])), {
      [A]: online('after'),
      [B]: online('from before the restart'),
    });
  });
});

describe('presence stream: a reader far behind', () => {
  const USERS = Array.from({ length: 14 }, (_, i) => `@u${i}:x`);
  const ROOMS = ['!a:x', '!b:x', '!c:x', '!d:x'];

  /** Deterministic steps: puts, joins, leaves and appear-offline, many more than anyone's audience. */
  function drive(w: World, seed: number, steps: number): void {
    let x = seed;
    const next = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    for (let i = 0; i < steps; i++) {
      const u = USERS[next(USERS.length)];
      const r = ROOMS[next(ROOMS.length)];
      switch (next(6)) {
        case 0:
          w.join(r, u);
          break;
        case 1:
          w.leave(r, u);
          break;
        case 2:
          w.appearOffline(u, next(2) === 0);
          break;
        default:
          w.put(u, (['online', 'unavailable', 'offline'] as const)[next(3)], `s${i}`);
      }
    }
  }

  test('the first change after the token counts, and changes of users the viewer cannot see do not', async () => {
    const w = new World({}, 'sync');
    w.join(ROOM, V, A);
    w.join(OTHER, B);
    const since = w.position();
    w.put(A, 'online', 'right after the token');
    for (let i = 0; i < 40; i++) w.put(B, 'online', `b${i}`);
    assert.ok(w.service.changeLog().countBetween(since, w.position()) > w.service.visibility.audienceBound(V));
    const got = Object.fromEntries((await sync(w, V, since)).events.map((e) => [e.sender as string, shown(e.content as JsonObject)]));
    assert.deepEqual(got, { [A]: online('right after the token') });
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    test(`asking each visible user gives the same answer as reading every change (seed ${seed})`, async () => {
      const w = new World({}, 'sync');
      for (const [i, u] of USERS.entries()) w.join(ROOMS[i % ROOMS.length], u);
      drive(w, seed, 40);
      const since = w.position();
      drive(w, seed * 7919, 300);
      const scanOnly = new PresenceStream(w.service, (u) => ({ displayname: displayname(u), avatar_url: null }), { shortRange: Number.MAX_SAFE_INTEGER });
      for (const viewer of USERS) {
        const log = w.service.changeLog();
        assert.ok(log.countBetween(since, w.position()) > w.service.visibility.audienceBound(viewer), 'more changes than people to ask');
        const fast = (await sync(w, viewer, since)).events;
        const slow = (await sync(Object.assign(Object.create(w) as World, { stream: scanOnly }), viewer, since)).events;
        const bySender = (evs: JsonObject[]) => Object.fromEntries(evs.map((e) => [e.sender as string, e.content]));
        assert.ok(slow.length > 0, 'the scan finds changes to compare');
        assert.deepEqual(bySender(fast), bySender(slow), `viewer ${viewer}`);
      }
    });
  }
});

describe('presence stream: reading a viewer\'s inbox', () => {
  const USERS = Array.from({ length: 12 }, (_, i) => `@u${i}:x`);
  const ROOMS = ['!a:x', '!b:x', '!c:x'];
  const scanOnly = (w: World) =>
    Object.assign(Object.create(w) as World, {
      stream: new PresenceStream(w.service, (u) => ({ displayname: displayname(u), avatar_url: null }), { shortRange: Number.MAX_SAFE_INTEGER, inboxes: false }),
    });
  const bySender = (evs: JsonObject[]) => Object.fromEntries(evs.map((e) => [e.sender as string, e.content]));

  for (const seed of [1, 2, 3]) {
    test(`gives the same answer as testing every change for visibility (seed ${seed})`, async () => {
      const w = new World({}, 'sync');
      for (const [i, u] of USERS.entries()) w.join(ROOMS[i % ROOMS.length], u);
      w.join(ROOMS[0], USERS[1], USERS[5]);
      const since = w.position();
      // Each viewer's first /sync opens their inbox.
      for (const v of USERS) await sync(w, v, since);
      let x = seed;
      for (let i = 0; i < 60; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const u = USERS[(x >>> 8) % USERS.length];
        if ((x >>> 4) % 5 === 0) w.appearOffline(u, ((x >>> 12) & 1) === 0);
        else w.put(u, (['online', 'unavailable', 'offline'] as const)[(x >>> 16) % 3], `s${i}`);
      }
      let compared = 0;
      for (const viewer of USERS) {
        assert.notEqual(w.service.inboxes.read(viewer, since, w.position()), null, 'the inbox path is the one taken');
        const fromInbox = (await sync(w, viewer, since)).events;
        const scanned = (await sync(scanOnly(w), viewer, since)).events;
        assert.deepEqual(bySender(fromInbox), bySender(scanned), `viewer ${viewer}`);
        compared += scanned.length;
      }
      assert.ok(compared > 0, 'there were changes to compare');
    });
  }

  test('a change published while both shared a room is not shown once one of them has left', async () => {
    const w = new World({}, 'sync');
    w.join(ROOM, V, A, B);
    const since = w.position();
    await sync(w, V, since);
    w.put(A, 'online', 'then left');
    w.put(B, 'online', 'stayed');
    w.leave(ROOM, A);
    assert.deepEqual(w.service.inboxes.read(V, since, w.position()), [A, B]);
    const got = (await sync(w, V, since)).events.map((e) => e.sender);
    assert.deepEqual(got, [B]);
  });

  test('someone who comes to share a room within the range is introduced by the join', async () => {
    const w = new World({}, 'sync');
    w.join(ROOM, V);
    w.join(OTHER, C);
    const since = w.position();
    await sync(w, V, since);
    w.put(C, 'online', 'before we met');
    w.join(ROOM, C);
    assert.deepEqual(w.service.inboxes.read(V, since, w.position()), [], 'the change was not owed to V when made');
    const got = Object.fromEntries((await sync(w, V, since)).events.map((e) => [e.sender as string, shown(e.content as JsonObject)]));
    assert.deepEqual(got, { [C]: online('before we met') });
  });

  test('a token older than what the inbox kept reads the change log instead, with the same answer', async () => {
    const w = new World({}, 'sync');
    w.join(ROOM, V, A, B);
    const since = w.position();
    await sync(w, V, since);
    for (let i = 0; i < 300; i++) w.put(i % 2 ? A : B, 'online', `n${i}`);
    assert.equal(w.service.inboxes.read(V, since, w.position()), null, 'the inbox dropped its oldest entries');
    const got = (await sync(w, V, since)).events;
    assert.deepEqual(bySender(got), bySender((await sync(scanOnly(w), V, since)).events));
    assert.deepEqual(Object.fromEntries(got.map((e) => [e.sender as string, shown(e.content as JsonObject)])), { [A]: online('n299'), [B]: online('n298') });
  });
});
