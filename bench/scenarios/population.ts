/**
 * population: U users, each long-polling /sync, in rooms drawn from the stated mix
 * (roomMix.ts), with presence churn (idle and back, status changes) and room messages at
 * given rates. Every presence change carries a tag, owed to everyone sharing a room with
 * its sender.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureAccounts } from '../lib/accounts.js';
import type { BenchOptions } from '../lib/args.js';
import { Fleet } from '../lib/fleet.js';
import { Homeserver, forEachLimit, type Account } from '../lib/hs.js';
import { Measurement, type RunResult } from '../lib/measure.js';
import { DEFAULT_MIX, audienceSizes, describeMix, generateRoomMix, seededRandom, type MixRoom } from '../lib/roomMix.js';
import { nowMs } from '../lib/stats.js';
import { newRunId } from '../lib/tags.js';
import { PerKeyQueue } from '../lib/writer.js';
import { canSpreadSources, type Log, type Prepared, type Target } from './types.js';

/** What a light real client asks for: a few timeline events, lazy-loaded members, presence. */
export const POPULATION_FILTER = JSON.stringify({
  room: { timeline: { limit: 5 }, state: { lazy_load_members: true } },
  presence: { types: ['m.presence'] },
});

const MAX_IN_FLIGHT = 512;
/** Share of churn events on an online user that make them idle; the rest change the status message. */
const IDLE_SHARE = 0.4;

/** Creates the mix's rooms and joins their members; returns room ids in mix order. */
async function buildRooms(hs: Homeserver, accounts: Account[], rooms: MixRoom[], o: BenchOptions, log: Log): Promise<string[]> {
  const ids = new Array<string>(rooms.length);
  let made = 0;
  await forEachLimit(rooms.length, o.concurrency, async (i) => {
    // Public rooms: members join by id without an invite round trip.
    ids[i] = await hs.createRoom(accounts[rooms[i].members[0]], { preset: 'public_chat' });
    if (++made % 2000 === 0) log(`created ${made}/${rooms.length} rooms`);
  });
  const joins: [number, number][] = [];
  rooms.forEach((r, i) => {
    for (const m of r.members.slice(1)) joins.push([i, m]);
  });
  let done = 0;
  await forEachLimit(joins.length, o.concurrency, async (j) => {
    const [ri, m] = joins[j];
    await hs.join(accounts[m], ids[ri]);
    if (++done % 5000 === 0) log(`joined ${done}/${joins.length}`);
  });
  return ids;
}

export async function preparePopulation(t: Target, o: BenchOptions, log: Log): Promise<Prepared> {
  const u = o.users;
  const hs = new Homeserver(t.origin, { connections: Math.max(o.concurrency, 64) + 2 });
  const rooms = generateRoomMix(u, o.seed);
  const mix = describeMix(rooms, u, o.seed);
  log(`population setup on ${t.url}: ${u} users, ${rooms.length} rooms (${mix.dm.rooms} DMs, ${mix.team.rooms} teams, ${mix.large.rooms} large)`);
  const { accounts, store } = await ensureAccounts(hs, u, { reuse: o.reuse && !t.ephemeral, outDir: o.outDir, concurrency: o.concurrency, log, persist: !t.ephemeral });
  const key = `population:${u}:${o.seed}:${JSON.stringify(DEFAULT_MIX)}:${accounts[0].userId}`;
  let roomIds = o.reuse ? store.rooms(key) : undefined;
  if (!roomIds || roomIds.length !== rooms.length) {
    roomIds = await buildRooms(hs, accounts, rooms, o, log);
    store.setRooms(key, roomIds);
    store.save();
  }
  const ids = roomIds;
  const audience = audienceSizes(rooms, u);
  const roomsOf: string[][] = Array.from({ length: u }, () => []);
  rooms.forEach((r, i) => {
    for (const m of r.members) roomsOf[m].push(ids[i]);
  });

  return {
    async run(): Promise<RunResult> {
      const run = newRunId();
      const m = new Measurement(t.pid);
      const fleet = await Fleet.start(
        accounts.map((a, i) => ({ index: i, userId: a.userId, token: a.accessToken })),
        {
          origin: t.origin,
          run,
          filter: POPULATION_FILTER,
          setPresence: 'online',
          syncTimeoutMs: o.syncTimeoutMs,
          initConcurrency: 8,
          spreadSources: canSpreadSources(t),
          perChild: o.perChild,
          onDelivery: m.onDelivery,
          // Initial syncs of users in 1,000+ rooms are the slow part; --max-total still bounds it.
          readyTimeoutMs: 120_000 + u * 500,
          log,
        },
      );
      m.onRefused = fleet.refuse;
      try {
        // Everyone just came online: let that wave pass before measuring.
        await settle(fleet, u, o.syncTimeoutMs, log);
        fleet.measure();
        m.begin(log, () => fleet.stats());
        await drive(hs, accounts, audience, roomsOf, run, o, m);
        m.endLoad();
        await m.drain(o.drain * 1000, () => fleet.stats());
        m.end();
        const final = await fleet.stop();
        return m.result(final, fleet.processes, 'population', t.url, mix);
      } catch (e) {
        fleet.kill();
        throw e;
      }
    },
    close: () => hs.close(),
  };
}

/** Longest wait for the log-in wave to pass; the run then measures whatever is left of it. */
const SETTLE_MAX_MS = 300_000;

/**
 * Waits until the long-polls are parked: answers per second down to what timeouts alone
 * cause (twice users / timeout), two seconds running. Each user's coming online is owed
 * to their whole audience, so at 10,000 users the wave is millions of deliveries; it is a
 * cost of its own (reported here), not the steady churn the run measures.
 */
async function settle(fleet: Fleet, users: number, syncTimeoutMs: number, log: Log): Promise<void> {
  const started = nowMs();
  await sleep(Math.min(10_000, 1000 + users / 2));
  const quiet = (2 * users) / (syncTimeoutMs / 1000);
  let last = fleet.stats().syncs;
  let at = nowMs();
  let calm = 0;
  while (nowMs() - started < SETTLE_MAX_MS) {
    await sleep(1000);
    const syncs = fleet.stats().syncs;
    const rate = ((syncs - last) * 1000) / (nowMs() - at);
    [last, at] = [syncs, nowMs()];
    calm = rate <= quiet ? calm + 1 : 0;
    if (calm >= 2) {
      log(`log-in wave settled after ${((nowMs() - started) / 1000).toFixed(1)} s (${rate.toFixed(0)} sync answers/s)`);
      return;
    }
  }
  log(`log-in wave not settled after ${SETTLE_MAX_MS / 1000} s; measuring anyway`);
}

/** Open-loop schedule of presence changes and messages, evenly spaced at their rates. */
async function drive(hs: Homeserver, accounts: Account[], audience: Int32Array, roomsOf: string[][], run: string, o: BenchOptions, m: Measurement): Promise<void> {
  const u = accounts.length;
  const rand = seededRandom(o.seed * 7919 + 1);
  const idle = new Uint8Array(u);
  const kOf = new Uint32Array(u);
  const churnEvery = o.churn > 0 ? 60_000 / (u * o.churn) : Infinity;
  const msgEvery = o.msgRate > 0 ? 1000 / o.msgRate : Infinity;
  const start = nowMs();
  const end = start + o.duration * 1000;
  let nextChurn = start + churnEvery * rand();
  let nextMsg = start + msgEvery * rand();
  let msgs = 0;
  const pending = new Set<Promise<void>>();
  const putting = new PerKeyQueue<number>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  while (m.sentCount < o.count) {
    const due = Math.min(nextChurn, nextMsg);
    if (due >= end) break;
    const wait = due - nowMs();
    if (wait > 1) await sleep(wait);
    if (pending.size >= MAX_IN_FLIGHT) await Promise.race([...pending, sleep(end - nowMs())]);
    if (pending.size >= MAX_IN_FLIGHT) break;
    if (nextChurn <= nextMsg) {
      nextChurn += churnEvery;
      const who = Math.floor(rand() * u);
      // Idle users come back; online users go idle or change their status message.
      const presence = idle[who] ? 'online' : rand() < IDLE_SHARE ? 'unavailable' : 'online';
      idle[who] = presence === 'unavailable' ? 1 : 0;
      const tag = { sender: who, k: ++kOf[who], seq: m.seq() };
      // A user's PUTs go one at a time, in order (writer.ts says why).
      track(putting.run(who, () => m.putPresence(hs, accounts[who], presence, run, tag, audience[who])));
    } else {
      nextMsg += msgEvery;
      const who = Math.floor(rand() * u);
      const mine = roomsOf[who];
      if (mine.length === 0) continue;
      const room = mine[Math.floor(rand() * mine.length)];
      track(m.sendMessage(hs, accounts[who], room, `b${run}m${msgs++}`));
    }
  }
  // Requests still in flight are left to the drain, which is bounded.
}
