/**
 * The presence engine without HTTP: the pure machine (`step`, `viewFor`), fan-out over the
 * in-memory membership index, and the service shell around them, each timed on its own.
 */
import type { Clock, TimerHandle } from '../../src/common/clock.js';
import type { PresenceConfig } from '../../src/config/index.js';
import {
  DEFAULT_PRESENCE_TIMERS,
  PresenceService,
  emptyPresence,
  step,
  viewFor,
  type PresenceInput,
  type PresenceStore,
  type UserPresence,
} from '../../src/presence/index.js';
import { MembershipIndex } from '../../src/rooms/membershipIndex.js';
import { generateRoomMix, seededRandom } from './roomMix.js';

export interface EngineOptions {
  users: number;
  ops: number;
  seed: number;
  /** Each case stops at ops or after this long, whichever comes first. */
  maxMsPerCase: number;
  /** A full collection before each heap reading, when the runtime offers one. */
  gc?: () => void;
}

export interface CaseResult {
  name: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  /** Case-specific counts: changes, deliveries, ... */
  extra: Record<string, number>;
  heapUsedMB: number;
}

const CFG = DEFAULT_PRESENCE_TIMERS;
const DEVICE = 'BENCHDEV';
const START = 1_700_000_000_000;
/** Simulated ms per op: a million ops cover ~17 minutes, past the idle and offline timeouts. */
const MS_PER_OP = 1;

function heapMB(gc?: () => void): number {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Pre-built inputs: the loop itself allocates nothing but what the engine does. */
function inputPool(): { status: PresenceInput[]; idle: PresenceInput; activity: PresenceInput; syncOn: PresenceInput; syncOff: PresenceInput; tick: PresenceInput } {
  return {
    status: Array.from({ length: 1024 }, (_, i) => ({ kind: 'setPresence', deviceId: DEVICE, presence: 'online', statusMsg: `status ${i}` }) as const),
    idle: { kind: 'setPresence', deviceId: DEVICE, presence: 'unavailable' },
    activity: { kind: 'activity', deviceId: DEVICE },
    syncOn: { kind: 'syncStarted', deviceId: DEVICE, setPresence: 'online' },
    syncOff: { kind: 'syncEnded', deviceId: DEVICE, setPresence: 'online' },
    tick: { kind: 'tick' },
  };
}

function timed(name: string, o: EngineOptions, body: (i: number) => void, extra: () => Record<string, number>): CaseResult {
  const t0 = performance.now();
  const deadline = t0 + o.maxMsPerCase;
  let i = 0;
  // Check the clock every 1024 ops only: reading it per op would be a visible share.
  while (i < o.ops) {
    body(i++);
    if ((i & 1023) === 0 && performance.now() > deadline) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { name, ops: i, seconds, opsPerSec: i / seconds, extra: extra(), heapUsedMB: heapMB(o.gc) };
}

/** Every user connected once: the state the other cases start from. */
export function seedStates(users: number): UserPresence[] {
  const { syncOn } = inputPool();
  return Array.from({ length: users }, () => step(emptyPresence(), syncOn, START, CFG).state);
}

/** step() over a mix of inputs on users spread over the population; counts published changes. */
export function stepCase(o: EngineOptions, states: UserPresence[]): CaseResult {
  const p = inputPool();
  const rand = seededRandom(o.seed);
  const syncing = new Uint8Array(states.length).fill(1);
  let changed = 0;
  let now = START;
  return timed(
    'step',
    o,
    (i) => {
      const u = Math.floor(rand() * states.length);
      now += MS_PER_OP;
      const r = i % 10;
      let input: PresenceInput;
      if (r < 3) input = p.status[i & 1023];
      else if (r < 5) input = p.activity;
      else if (r < 8) {
        input = syncing[u] ? p.syncOff : p.syncOn;
        syncing[u] ^= 1;
      } else if (r === 8) input = p.idle;
      else input = p.tick;
      const res = step(states[u], input, now, CFG);
      states[u] = res.state;
      if (res.effects.changed) changed++;
    },
    () => ({ changes: changed }),
  );
}

/** viewFor() as /sync serves it to another user. */
export function viewCase(o: EngineOptions, states: UserPresence[]): CaseResult {
  let bytes = 0;
  const now = START + o.ops * MS_PER_OP;
  return timed(
    'viewFor',
    o,
    (i) => {
      const v = viewFor(states[i % states.length], now, CFG, { self: false });
      bytes += v.presence.length;
    },
    () => ({ checksum: bytes }),
  );
}

export function buildIndex(users: number, seed: number): { index: MembershipIndex; ids: string[]; rooms: number } {
  const ids = Array.from({ length: users }, (_, i) => `@u${i}:bench`);
  const mix = generateRoomMix(users, seed);
  const index = new MembershipIndex();
  mix.forEach((r, ri) => {
    for (const m of r.members) index.apply(`!r${ri}:bench`, ids[m], 'join');
  });
  return { index, ids, rooms: mix.length };
}

/** A status change through step(), then its observers from the membership index: deliveries/s. */
export function fanoutCase(o: EngineOptions, states: UserPresence[], index: MembershipIndex, ids: string[]): CaseResult {
  const p = inputPool();
  const rand = seededRandom(o.seed + 1);
  let deliveries = 0;
  let now = START;
  const r = timed(
    'fanout',
    o,
    (i) => {
      const u = Math.floor(rand() * states.length);
      now += MS_PER_OP;
      const res = step(states[u], p.status[i & 1023], now, CFG);
      states[u] = res.state;
      if (!res.effects.changed) return;
      const audience = index.coMembers(ids[u]);
      deliveries += audience.size - (audience.has(ids[u]) ? 1 : 0);
    },
    () => ({ deliveries }),
  );
  r.extra.deliveriesPerSec = deliveries / r.seconds;
  r.extra.meanAudience = deliveries / Math.max(1, r.ops);
  return r;
}

/** A clock whose timers never fire: the service's timers are not what is being timed. */
class StillClock implements Clock {
  t = START;
  now(): number {
    return this.t;
  }
  setTimeout(): TimerHandle {
    return { cancel: () => undefined };
  }
}

const NULL_STORE: PresenceStore = {
  loadPresence: () => Promise.resolve([]),
  savePresence: () => Promise.resolve(),
  presenceMark: () => Promise.resolve(0),
  setPresenceMark: () => Promise.resolve(),
};

/** The service shell: machine + change log + wake-ups of everyone who shares a room. */
export async function serviceCase(o: EngineOptions, index: MembershipIndex, ids: string[]): Promise<CaseResult> {
  const clock = new StillClock();
  let woken = 0;
  const cfg: PresenceConfig = { enabled: true, ...CFG, includeOfflineUsersOnSync: false, maxStatusMsgLength: 256 };
  const svc = new PresenceService(cfg, NULL_STORE, clock, index, { wakeAll: (users) => { for (const _ of users) woken++; } });
  await svc.load();
  const p = inputPool();
  const rand = seededRandom(o.seed + 2);
  const r = timed(
    'service.apply',
    o,
    (i) => {
      clock.t += MS_PER_OP;
      const u = Math.floor(rand() * ids.length);
      svc.apply(ids[u], i % 4 === 0 ? p.activity : p.status[i & 1023]);
    },
    () => ({ wakeups: woken }),
  );
  r.extra.wakeupsPerSec = woken / r.seconds;
  return r;
}

export async function runEngine(o: EngineOptions, log: (m: string) => void): Promise<{ cases: CaseResult[]; setup: Record<string, number> }> {
  const h0 = heapMB(o.gc);
  const t0 = performance.now();
  const states = seedStates(o.users);
  const statesMB = heapMB(o.gc) - h0;
  log(`${o.users} users seeded in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const cases = [stepCase(o, states), viewCase(o, states)];
  const t1 = performance.now();
  const h1 = heapMB(o.gc);
  const { index, ids, rooms } = buildIndex(o.users, o.seed);
  log(`membership index: ${rooms} rooms in ${((performance.now() - t1) / 1000).toFixed(2)} s`);
  const indexMB = heapMB(o.gc) - h1;
  cases.push(fanoutCase(o, states, index, ids));
  cases.push(await serviceCase(o, index, ids));
  return { cases, setup: { users: o.users, rooms, statesHeapMB: statesMB, indexHeapMB: indexMB } };
}
