/**
 * fanout: one writer and N observers in one room. The writer PUTs presence, each update
 * tagged in status_msg; observers long-poll a presence-only /sync and report when each tag
 * reaches them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureAccounts } from '../lib/accounts.js';
import type { BenchOptions } from '../lib/args.js';
import { Fleet } from '../lib/fleet.js';
import { Homeserver, forEachLimit, type Account } from '../lib/hs.js';
import { Measurement, type RunResult } from '../lib/measure.js';
import { nowMs } from '../lib/stats.js';
import { newRunId, warmTag } from '../lib/tags.js';
import { runWriter } from '../lib/writer.js';
import { canSpreadSources, type Log, type Prepared, type Target } from './types.js';

/**
 * Only presence: no room timelines, state or account data. The observers still share the
 * room with the writer (that is what makes the presence visible); the filter only trims
 * what comes back.
 */
export const PRESENCE_ONLY_FILTER = JSON.stringify({
  room: { rooms: [], state: { not_types: ['*'] }, ephemeral: { not_types: ['*'] }, account_data: { not_types: ['*'] } },
  account_data: { not_types: ['*'] },
  presence: { types: ['m.presence'] },
});

const WRITER = 0;

export async function prepareFanout(t: Target, o: BenchOptions, log: Log): Promise<Prepared> {
  const n = o.observers;
  const hs = new Homeserver(t.origin, { connections: Math.max(o.concurrency, 8) + 2 });
  log(`fanout setup on ${t.url}: ${n} observers`);
  const { accounts, store } = await ensureAccounts(hs, n + 1, { reuse: o.reuse && !t.ephemeral, outDir: o.outDir, concurrency: o.concurrency, log, persist: !t.ephemeral });
  const writer = accounts[0];
  const observers = accounts.slice(1);
  const key = `fanout:${writer.userId}`;
  const stored = o.reuse ? store.rooms(key) : undefined;
  const roomId = stored?.[0] ?? (await hs.createRoom(writer, { preset: 'public_chat', name: 'bench fanout' }));
  // Observers already joined in an earlier run with this writer need not join again.
  const joinedBefore = stored ? Number(stored[1]) : 0;
  let joined = 0;
  await forEachLimit(Math.max(0, n - joinedBefore), o.concurrency, async (i) => {
    await hs.join(observers[joinedBefore + i], roomId);
    if (++joined % 1000 === 0) log(`joined ${joined}`);
  });
  store.setRooms(key, [roomId, String(Math.max(n, joinedBefore))]);
  store.save();
  log(`room ${roomId} ready`);

  return {
    async run(): Promise<RunResult> {
      const run = newRunId();
      const m = new Measurement(t.pid);
      const fleet = await Fleet.start(
        observers.map((a, i) => ({ index: i + 1, userId: a.userId, token: a.accessToken })),
        {
          origin: t.origin,
          run,
          filter: PRESENCE_ONLY_FILTER,
          // Observers must not go online themselves: N x N presence updates would drown the writer's.
          setPresence: 'offline',
          syncTimeoutMs: o.syncTimeoutMs,
          initConcurrency: 8,
          spreadSources: canSpreadSources(t),
          perChild: o.perChild,
          onDelivery: m.onDelivery,
          readyTimeoutMs: 60_000 + n * 200,
          log,
        },
      );
      m.onRefused = fleet.refuse;
      try {
        await warmUp(hs, fleet, writer, run, n, m, log);
        fleet.measure();
        m.begin(log, () => fleet.stats());
        await write(hs, writer, run, n, o, m);
        m.endLoad();
        await m.drain(o.drain * 1000, () => fleet.stats());
        m.end();
        const final = await fleet.stop();
        return m.result(final, fleet.processes, 'fanout', t.url);
      } catch (e) {
        fleet.kill();
        throw e;
      }
    },
    close: () => hs.close(),
  };
}

/** One untimed update every observer must see before measuring: proves the path works. */
async function warmUp(hs: Homeserver, fleet: Fleet, writer: Account, run: string, n: number, m: Measurement, log: Log): Promise<void> {
  const r = await hs.putPresence(writer, 'online', warmTag(run));
  if (r.status !== 200) throw new Error(`presence PUT failed: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  const deadline = nowMs() + 15_000 + n * 5;
  while (fleet.stats().warm < n && nowMs() < deadline) await sleep(25);
  const warm = fleet.stats().warm;
  if (warm === 0) throw new Error('no observer received the writer\'s presence: does the server send presence in /sync?');
  if (warm < n) {
    m.notes.push(`only ${warm}/${n} observers saw the warm-up update`);
    log(m.notes[m.notes.length - 1]);
  }
}

function write(hs: Homeserver, writer: Account, run: string, n: number, o: BenchOptions, m: Measurement): Promise<number> {
  const put = () => {
    const seq = m.seq();
    return m.putPresence(hs, writer, 'online', run, { sender: WRITER, k: seq, seq }, n);
  };
  return runWriter({ rate: o.rate, durationMs: o.duration * 1000, count: o.count }, put);
}
