import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/common/clock.js';
import { ClientGone, encodeSyncToken, Notifier, SyncService, zeroPositions, type SyncRequest, type SyncResponse } from '../../../src/sync/index.js';
import type { StreamProvider, SyncContext } from '../../../src/sync/streams/types.js';
import { BuildGate } from '../../../src/sync/buildGate.js';

/** A rooms stream that counts its builds and finishes each one when told to. */
class GatedStream implements StreamProvider {
  readonly stream = 'rooms' as const;
  builds = 0;
  private gates: (() => void)[] = [];
  position(): number {
    return 1;
  }
  fill(ctx: SyncContext): Promise<void> {
    this.builds++;
    ctx.response.account_data.events.push({ type: 'x.build', content: { n: this.builds } });
    return new Promise((resolve) => this.gates.push(resolve));
  }
  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

const base: SyncRequest = { userId: '@a:x', deviceId: 'D1', filter: {}, filterKey: '', timeoutMs: 0, fullState: false, setPresence: 'online' };

test('identical concurrent /syncs share one build; any difference in device, token, filter or full_state builds its own', async () => {
  const stream = new GatedStream();
  // Room for all six builds at once, and a clock that never spends the slice (the wall clock
  // did on a loaded machine): what is compared here is sharing, not the gate's limits.
  const gate = new BuildGate({ maxActive: 16, now: () => 0 });
  const sync = new SyncService([stream], new Notifier(new ManualClock()), new ManualClock(), undefined, undefined, gate);
  const variants: SyncRequest[] = [
    base,
    { ...base },
    { ...base, deviceId: 'D2' },
    { ...base, since: 's0' },
    { ...base, filterKey: 'id:1' },
    { ...base, fullState: true },
    { ...base, userId: '@b:x' },
  ];
  const answers = variants.map((r) => sync.sync(r));
  await Promise.resolve();
  assert.equal(stream.builds, 6, 'the two identical requests built once');
  stream.release();
  const res = await Promise.all(answers);
  assert.equal(res[0], res[1], 'the same answer object');
  assert.notEqual(res[0], res[2]);
  // Once answered, the same request builds afresh.
  const again = sync.sync(base);
  await Promise.resolve();
  assert.equal(stream.builds, 7);
  stream.release();
  assert.notEqual(await again, res[0]);
});

test('a build that fails is not shared with later requests', async () => {
  let calls = 0;
  const failing: StreamProvider = {
    stream: 'rooms',
    position: () => 1,
    fill: () => (++calls === 1 ? Promise.reject(new Error('storage down')) : undefined),
  };
  const sync = new SyncService([failing], new Notifier(new ManualClock()), new ManualClock());
  await assert.rejects(sync.sync(base), /storage down/);
  const res = await sync.sync(base);
  assert.equal(calls, 2);
  assert.match(res.next_batch, /^s1_/);
});

test('a /sync arriving after a write does not share a build that started before it (the write would never wake it)', async () => {
  let rooms = 1;
  let presence = 1;
  const gates: (() => void)[] = [];
  const roomsStream: StreamProvider = {
    stream: 'rooms',
    position: () => rooms,
    fill: (ctx) => {
      if (ctx.since && ctx.since.rooms < ctx.to.rooms) ctx.response.account_data.events.push({ type: 'x.new', content: { to: ctx.to.rooms } });
      return new Promise((resolve) => gates.push(resolve));
    },
  };
  const presenceStream: StreamProvider = { stream: 'presence', position: () => presence, fill: () => undefined };
  const clock = new ManualClock();
  const notifier = new Notifier(clock);
  const sync = new SyncService([roomsStream, presenceStream], notifier, clock);
  const since = encodeSyncToken({ ...zeroPositions(), rooms: 1, presence: 1 });
  const req: SyncRequest = { ...base, since, timeoutMs: 30_000 };
  const turn = () => new Promise((r) => setImmediate(r));

  // Something the filter leaves out moved: the first long-poll builds, and finds nothing.
  presence = 2;
  const first = sync.sync(req);
  await turn();
  // A write lands and its wake-up goes out while that build is still reading.
  rooms = 2;
  notifier.wake(base.userId);
  await turn();
  // The client's retry of the same request comes after the wake-up.
  const second = sync.sync(req);
  while (gates.length) {
    for (const g of gates.splice(0)) g();
    await turn();
  }
  const got = await Promise.race([second, turn().then(() => 'still parked' as const)]);
  assert.notEqual(got, 'still parked', 'the retry must see the write, not wait out its timeout');
  assert.deepEqual((got as SyncResponse).account_data.events.map((e) => e.type), ['x.new']);
  assert.deepEqual((await first).account_data.events.map((e) => e.type), ['x.new'], 'the first, woken, built again and saw it');
});

/** A gate whose turns only come when the test runs them, each with room for one build. */
function steppedGate(): { gate: BuildGate; nextTurn: () => void } {
  let t = 0;
  const turns: (() => void)[] = [];
  const gate = new BuildGate({ sliceMs: 10, now: () => (t += 100), nextTurn: (fn) => void turns.push(fn) });
  return { gate, nextTurn: () => { for (const fn of turns.splice(0)) fn(); } };
}

test('a build kept waiting in the gate reads positions when it starts, and identical requests meanwhile share it', async () => {
  let rooms = 1;
  let builds = 0;
  const roomsStream: StreamProvider = {
    stream: 'rooms',
    position: () => rooms,
    fill: (ctx) => {
      builds++;
      ctx.response.account_data.events.push({ type: 'x.upto', content: { to: ctx.to.rooms } });
    },
  };
  // Each reading of the gate's clock moves it 100 ms: after one build the turn is spent.
  const { gate, nextTurn } = steppedGate();
  const clock = new ManualClock();
  const sync = new SyncService([roomsStream], new Notifier(clock), clock, undefined, undefined, gate);
  const other = sync.sync({ ...base, deviceId: 'D0' });
  await other;
  assert.equal(builds, 1);

  const first = sync.sync(base);
  const second = sync.sync(base);
  assert.equal(gate.waiting(), 1, 'the turn is spent: the build waits for the next one');
  // A write lands while it waits: the answer, built later, includes it.
  rooms = 5;
  nextTurn();
  const [a, b] = await Promise.all([first, second]);
  assert.equal(builds, 2, 'the two identical requests shared one build');
  assert.deepEqual(a.account_data.events, [{ type: 'x.upto', content: { to: 5 } }]);
  assert.equal(a, b);
  assert.match(a.next_batch, /^s5_/);
});

test('a queued build whose clients have all disconnected is skipped, and counted', async () => {
  let builds = 0;
  const stream: StreamProvider = { stream: 'rooms', position: () => 1, fill: () => void builds++ };
  const { gate, nextTurn } = steppedGate();
  const clock = new ManualClock();
  let abandoned = 0;
  const observer = { built: () => undefined, abandoned: () => void abandoned++ };
  const sync = new SyncService([stream], new Notifier(clock), clock, undefined, observer, gate);
  await sync.sync({ ...base, deviceId: 'D0' });
  assert.equal(builds, 1);

  // Two requests of one device with the same token share the queued build; both go away.
  const goneA = new ClientGone();
  const goneB = new ClientGone();
  const a = sync.sync({ ...base, since: encodeSyncToken(zeroPositions()), gone: goneA });
  const b = sync.sync({ ...base, since: encodeSyncToken(zeroPositions()), gone: goneB });
  assert.equal(gate.waiting(), 1);
  goneA.fire();
  goneB.fire();
  nextTurn();
  // A request arriving before the skipped build is forgotten must not be handed its placeholder.
  const c = sync.sync({ ...base, since: encodeSyncToken(zeroPositions()), gone: new ClientGone() });
  const [ra, rb] = await Promise.all([a, b]);
  assert.equal(builds, 1, 'nothing was built for them');
  nextTurn();
  assert.notEqual(await c, ra);
  assert.equal(builds, 2, 'the newcomer got a build of its own');
  assert.equal(abandoned, 1);
  assert.equal(ra, rb);
  // Whoever might read it anyway is sent back to where it was: nothing can be skipped.
  assert.equal(ra.next_batch, encodeSyncToken(zeroPositions()));
  assert.deepEqual(ra.account_data.events, []);
});

test('a queued build is still made while any of the requests sharing it is connected', async () => {
  let builds = 0;
  const stream: StreamProvider = {
    stream: 'rooms',
    position: () => 1,
    fill: (ctx) => {
      builds++;
      ctx.response.account_data.events.push({ type: 'x.built', content: {} });
    },
  };
  const { gate, nextTurn } = steppedGate();
  const clock = new ManualClock();
  const sync = new SyncService([stream], new Notifier(clock), clock, undefined, undefined, gate);
  await sync.sync({ ...base, deviceId: 'D0' });

  // The first request gave up; its client's retry (the same token) joined the build.
  const gone = new ClientGone();
  const first = sync.sync({ ...base, gone });
  const retry = sync.sync({ ...base, gone: new ClientGone() });
  // A caller with no connection to lose (an internal one) keeps its build too.
  const internal = sync.sync({ ...base, deviceId: 'D9' });
  gone.fire();
  nextTurn();
  nextTurn();
  const res = await retry;
  assert.equal(await first, res);
  assert.deepEqual(res.account_data.events.map((e) => e.type), ['x.built']);
  assert.deepEqual((await internal).account_data.events.map((e) => e.type), ['x.built']);
  assert.equal(builds, 3);
});

test('an initial sync waits its turn behind the long-poll answers queued before it', async () => {
  // Letting initial syncs go first was measured (bench/RESULTS.md, 2026-12-07): during a
  // restart's wave of logins the long-poll answers then waited past their clients' timeouts.
  const order: string[] = [];
  const stream: StreamProvider = { stream: 'rooms', position: () => 1, fill: (ctx) => void order.push(ctx.since === null ? `initial ${ctx.deviceId}` : `poll ${ctx.deviceId}`) };
  const { gate, nextTurn } = steppedGate();
  const clock = new ManualClock();
  const sync = new SyncService([stream], new Notifier(clock), clock, undefined, undefined, gate);
  await sync.sync({ ...base, deviceId: 'D0' });
  const since = encodeSyncToken(zeroPositions());
  const polls = ['P1', 'P2', 'P3'].map((d) => sync.sync({ ...base, deviceId: d, since }));
  const initial = sync.sync({ ...base, deviceId: 'NEW' });
  assert.equal(gate.waiting(), 4);
  for (let i = 0; i < 4; i++) nextTurn();
  await Promise.all([...polls, initial]);
  assert.deepEqual(order, ['initial D0', 'poll P1', 'poll P2', 'poll P3', 'initial NEW']);
});

test('a parked long-poll whose client closes it ends without building an answer', async () => {
  let builds = 0;
  const stream: StreamProvider = { stream: 'rooms', position: () => 1, fill: () => void builds++ };
  const clock = new ManualClock();
  let abandoned = 0;
  const sync = new SyncService([stream], new Notifier(clock), clock, undefined, { built: () => undefined, abandoned: () => void abandoned++ });
  const head = (await sync.sync({ ...base, deviceId: 'D0' })).next_batch;
  assert.equal(builds, 1);
  const gone = new ClientGone();
  const poll = sync.sync({ ...base, since: head, timeoutMs: 30_000, gone });
  await Promise.resolve();
  gone.fire();
  const res = await poll;
  assert.equal(builds, 1, 'nothing built for the closed connection');
  assert.equal(abandoned, 1);
  assert.equal(res.next_batch, head, 'its own token back');
});
