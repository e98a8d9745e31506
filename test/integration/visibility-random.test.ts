/**
 * Issue 7 item 6 (second half): a randomized presence-visibility test against a model.
 *
 * Random users and rooms (public and invite-only), random joins, leaves, invites, kicks,
 * presence updates, syncs and clock jumps (so the presence timers fire at chosen moments
 * on a ManualClock). After every step, for every ordered pair (viewer, target):
 *  - GET /presence/{target}/status is 200 when the model says the viewer may see the
 *    target (DESIGN §1.5: oneself, or a shared joined room) and 403 otherwise;
 *  - the viewer's incremental /sync carries presence only of targets it may see now.
 * And after a presence update, every viewer who may see the sender gets it in /sync.
 * A seeded PRNG makes every run the same; the seed is printed with the counts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import type { TestClient } from '../helpers/client.js';
import { V3, assertOk, enc, roomPath, useServer } from '../helpers/integration.js';

const SEED = Number(process.env.VIS_SEED ?? 20240607);
const STEPS = Number(process.env.VIS_STEPS ?? 600);
const USERS = 6;
const ROOMS = 4;

const clock = new ManualClock();
const ctx = useServer({ clock });

/** mulberry32: small, seeded, good enough to pick test actions. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Membership = 'join' | 'invite' | 'leave';

interface Room { id: string; creator: number; isPublic: boolean; members: Map<number, Membership> }

describe('randomized presence visibility', () => {
  test('no GET answer or sync entry reaches a user who shares no joined room with its subject', async () => {
    const started = Date.now();
    const rnd = prng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

    const users: TestClient[] = [];
    for (let i = 0; i < USERS; i++) users.push(await ctx.user(`vis${i}`));
    const index = new Map(users.map((u, i) => [u.userId, i]));
    const rooms: Room[] = [];
    for (let r = 0; r < ROOMS; r++) {
      const creator = Math.floor(rnd() * USERS);
      const isPublic = r % 2 === 0;
      const id = await users[creator].createRoom({ preset: isPublic ? 'public_chat' : 'private_chat' });
      rooms.push({ id, creator, isPublic, members: new Map([[creator, 'join']]) });
    }

    const joined = (r: Room, u: number) => r.members.get(u) === 'join';
    const canSee = (viewer: number, target: number) => viewer === target || rooms.some((r) => joined(r, viewer) && joined(r, target));

    // Drain every user's initial sync; from here on each sync is incremental.
    const since: string[] = [];
    for (const u of users) since.push(assertOk(await u.sync({ timeout: 0 }), 'initial sync').next_batch);

    let getChecks = 0;
    let syncChecks = 0;
    let deliveryChecks = 0;
    const leaks: string[] = [];
    const ops = new Map<string, number>();
    // DESIGN §1.4: `hidden` sets appear-offline, online/unavailable/free_for_chat clear it, offline keeps it.
    const appearOffline = new Set<number>();
    let step = 0;

    /** Incremental sync of viewer v: every presence sender must be visible now. Returns the senders' contents. */
    const syncViewer = async (v: number): Promise<Map<number, any>> => {
      const params: Record<string, string | number> = { timeout: 0, since: since[v] };
      if (rnd() < 0.5) params.set_presence = pick(['online', 'offline', 'unavailable']);
      const body = assertOk(await users[v].sync(params), `sync of ${v}`);
      since[v] = body.next_batch;
      const got = new Map<number, any>();
      for (const ev of body.presence?.events ?? []) {
        const t = index.get(ev.sender);
        if (t === undefined) {
          leaks.push(`step ${step}: ${v} got presence of unknown ${ev.sender}`);
          continue;
        }
        got.set(t, ev.content);
      }
      for (let t = 0; t < USERS; t++) {
        syncChecks++;
        if (got.has(t) && !canSee(v, t)) leaks.push(`step ${step}: sync of user ${v} carries presence of ${t}, who shares no joined room`);
      }
      return got;
    };

    const act = async (): Promise<{ op: string; presenceOf?: number; msg?: string }> => {
      const roll = rnd();
      const u = Math.floor(rnd() * USERS);
      const r = pick(rooms);
      const m = r.members.get(u);
      if (roll < 0.22) {
        if (m === 'join') return { op: 'noop' };
        if (!r.isPublic && m !== 'invite') {
          const res = await users[u].post(roomPath(r.id, 'join'), {});
          assert.equal(res.status, 403, `uninvited join of a private room: ${res.status} ${JSON.stringify(res.body)}`);
          return { op: 'join-refused' };
        }
        assertOk(await users[u].post(roomPath(r.id, 'join'), {}), 'join');
        r.members.set(u, 'join');
        return { op: 'join' };
      }
      if (roll < 0.38) {
        if (m !== 'join' && m !== 'invite') return { op: 'noop' };
        assertOk(await users[u].post(roomPath(r.id, 'leave'), {}), m === 'invite' ? 'reject invite' : 'leave');
        r.members.set(u, 'leave');
        return { op: m === 'invite' ? 'reject' : 'leave' };
      }
      if (roll < 0.52) {
        // Inviting takes power level 50 here (the room's creator has 100, others 0).
        if (!joined(r, r.creator) || m === 'join' || m === 'invite') return { op: 'noop' };
        assertOk(await users[r.creator].post(roomPath(r.id, 'invite'), { user_id: users[u].userId }), 'invite');
        r.members.set(u, 'invite');
        return { op: 'invite' };
      }
      if (roll < 0.62) {
        if (!joined(r, r.creator) || u === r.creator || (m !== 'join' && m !== 'invite')) return { op: 'noop' };
        assertOk(await users[r.creator].post(roomPath(r.id, 'kick'), { user_id: users[u].userId }), 'kick');
        r.members.set(u, 'leave');
        return { op: 'kick' };
      }
      if (roll < 0.9) {
        const msg = `s${step}_${u}`;
        const presence = pick(['online', 'unavailable', 'offline', 'free_for_chat', 'hidden']);
        assertOk(await users[u].put(`${V3}/presence/${enc(users[u].userId)}/status`, { presence, status_msg: msg }), 'PUT presence');
        if (presence === 'hidden') appearOffline.add(u);
        else if (presence !== 'offline') appearOffline.delete(u);
        return { op: `presence-${presence}`, presenceOf: u, msg };
      }
      if (roll < 0.95) {
        clock.advance(Math.floor(rnd() * 2000));
        return { op: 'tick' };
      }
      // Past the sync-online and idle timeouts: the presence timers fire now, not at random.
      clock.advance(pick([31_000, 5 * 60_000 + 1000]));
      return { op: 'timers' };
    };

    for (step = 0; step < STEPS; step++) {
      const { op, presenceOf, msg } = await act();
      ops.set(op, (ops.get(op) ?? 0) + 1);

      for (let v = 0; v < USERS; v++) {
        const got = await syncViewer(v);
        // Others see an appear-offline user as a bare `offline`, with no status_msg to deliver.
        if (presenceOf !== undefined && msg !== undefined && canSee(v, presenceOf) && (v === presenceOf || !appearOffline.has(presenceOf))) {
          deliveryChecks++;
          const c = got.get(presenceOf);
          assert.ok(c, `step ${step}: user ${v} may see ${presenceOf} but its sync lacks the update (${op})`);
          assert.equal(c.status_msg, msg, `step ${step}: user ${v} got a stale status_msg of ${presenceOf}`);
        }
      }

      for (let v = 0; v < USERS; v++) {
        for (let t = 0; t < USERS; t++) {
          const res = await users[v].get(`${V3}/presence/${enc(users[t].userId)}/status`);
          getChecks++;
          if (canSee(v, t)) {
            assert.equal(res.status, 200, `step ${step}: ${v} may see ${t}, GET is ${res.status} ${JSON.stringify(res.body)}`);
          } else if (res.status !== 403 || res.body.errcode !== 'M_FORBIDDEN') {
            leaks.push(`step ${step}: GET presence of ${t} by ${v}: ${res.status} ${JSON.stringify(res.body)} (no shared joined room)`);
          }
        }
      }
      if (leaks.length) break;
    }

    const total = getChecks + syncChecks + deliveryChecks;
    console.log(`visibility: ${total} checks (${getChecks} GET, ${syncChecks} sync, ${deliveryChecks} delivery) over ${step} steps, seed ${SEED}, ` +
      `${leaks.length} leaks, ${Date.now() - started} ms; ops ${JSON.stringify(Object.fromEntries([...ops].sort()))}`);
    assert.deepEqual(leaks, [], 'presence reached users outside DESIGN §1.5');
    assert.ok(total >= 10_000, `only ${total} checks`);
  });
});
