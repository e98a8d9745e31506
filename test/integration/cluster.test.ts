/**
 * Issue 5, items 2 to 4: three `presenced serve` processes on one PostgreSQL schema and
 * one Redis prefix. Any instance serves any request; stream positions and tokens are
 * cluster-wide; a write on one instance wakes long-polls on another; presence is one
 * state (the device union spans instances, each timer fires once); rate limits are shared.
 * Time is moved with each instance's adjustable test clock, never waited for.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Cluster, clusterSuite, DB_URL, eventually, sleep } from '../helpers/cluster.js';
import { scratch } from '../helpers/processes.js';
import { TestClient } from '../helpers/client.js';

const V3 = '/_matrix/client/v3';
const files = scratch('presenced-cluster-');
/** Room timelines long enough that no test message is cut off by the default limit. */
const WIDE = JSON.stringify({ room: { timeline: { limit: 100 } } });

type Presence = { sender: string; content: { presence: string; status_msg?: string } };

function presenceOf(body: any, userId: string): Presence[] {
  return ((body?.presence?.events ?? []) as Presence[]).filter((e) => e.sender === userId);
}

function timeline(body: any, roomId: string): any[] {
  return body?.rooms?.join?.[roomId]?.timeline?.events ?? [];
}

/** A client on the given instance, logged in as an existing user (a new device). */
function loginOn(c: Cluster, i: number, user: string): Promise<TestClient> {
  return TestClient.login(c.at(i).url, user, 'pw');
}


/** Follows one user's presence as seen by `viewer` through back-to-back long-polls, until stopped. */
function follow(viewer: TestClient, target: string, since: string) {
  const seen: string[] = [];
  let stopped = false;
  let token = since;
  const loop = (async () => {
    while (!stopped) {
      const res = await viewer.sync({ since: token, timeout: 250_000 });
      if (stopped) break;
      assert.equal(res.status, 200, JSON.stringify(res.body));
      token = res.body.next_batch;
      for (const e of presenceOf(res.body, target)) seen.push(e.content.presence);
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      // The last long-poll ends at the next wake-up or clock advance; it is not awaited.
      void loop.catch(() => undefined);
    },
  };
}

async function metric(c: Cluster, i: number, name: string): Promise<number> {
  const text = await (await fetch(`${c.at(i).url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').pop());
  return sum;
}

clusterSuite('three instances on one PostgreSQL and one Redis', () => {
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({
      instances: 3,
      config: {
        presence: { idle_timeout: '20s', last_active_granularity: '1s' },
        rate_limits: {
          login: { per_second: 1000, burst: 1000 },
          register: { per_second: 1000, burst: 1000 },
          send: { per_second: 1000, burst: 1000 },
          // Tight, to show one bucket per user across the cluster; other tests PUT presence rarely.
          presence: { per_second: 0.01, burst: 4 },
        },
      },
    }, files);
  });
  after(async () => {
    await c?.stop();
  });

  test('registration begun on one instance completes on another (UIA sessions are shared)', async () => {
    const first = await c.at(0).client().post(`${V3}/register`, { username: 'uia1', password: 'pw' });
    assert.equal(first.status, 401);
    const session = first.body.session;
    const second = await c.at(1).client().post(`${V3}/register`, { username: 'uia1', password: 'pw', auth: { type: 'm.login.dummy', session } });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.user_id, '@uia1:cluster.test');
  });

  test('register on one, sync on a second, send and set presence on a third; tokens work everywhere', async () => {
    const alice = await c.at(0).client().register('alice', 'pw');
    const bob = await c.at(0).client().register('bob', 'pw');
    const aliceOn2 = c.as(2, alice);
    const bobOn1 = c.as(1, bob);
    const room = await aliceOn2.createRoom({ preset: 'public_chat' });
    await c.as(1, bob).join(room);

    const initial = await bobOn1.sync({ timeout: 0 });
    assert.equal(initial.status, 200);
    assert.ok(initial.body.rooms.join[room], 'bob sees the room joined on another instance');

    await aliceOn2.send(room, 'hello from instance 2');
    const put = await aliceOn2.put(`${V3}/presence/${encodeURIComponent(alice.userId)}/status`, { presence: 'online', status_msg: 'on i2' });
    assert.equal(put.status, 200);

    const got = await eventually(async () => {
      const r = await bobOn1.sync({ since: initial.body.next_batch, timeout: 2000 });
      const msgs = timeline(r.body, room).filter((e) => e.type === 'm.room.message');
      const p = presenceOf(r.body, alice.userId);
      return msgs.length && p.some((e) => e.content.status_msg === 'on i2') ? r : undefined;
    }, 10_000, 'message and presence on instance 1');
    assert.deepEqual(timeline(got.body, room).filter((e) => e.type === 'm.room.message').map((e) => e.content.body), ['hello from instance 2']);

    // The token from instance 1 continues on instance 0: nothing is repeated, the next message arrives.
    const bobOn0 = c.as(0, bob);
    await c.as(0, alice).send(room, 'second');
    const next = await eventually(async () => {
      const r = await bobOn0.sync({ since: got.body.next_batch, timeout: 2000 });
      return timeline(r.body, room).length ? r : undefined;
    }, 10_000, 'the next message on instance 0');
    assert.deepEqual(timeline(next.body, room).map((e) => e.content.body), ['second']);

    const get = await c.at(1).client().get(`${V3}/presence/${encodeURIComponent(alice.userId)}/status`, { token: bob.accessToken });
    assert.equal(get.status, 200);
    assert.equal(get.body.status_msg, 'on i2');
  });

  test('stream positions are unique and ordered across instances: concurrent sends on all three, each seen exactly once', async () => {
    const carol = await c.at(0).client().register('carol', 'pw');
    const dave = await c.at(1).client().register('dave', 'pw');
    const room = await carol.createRoom({ preset: 'public_chat' });
    await dave.join(room);
    const start = await dave.sync({ timeout: 0 });

    const writers = [0, 1, 2].map((i) => c.as(i, i === 1 ? dave : carol));
    const sent: string[] = [];
    await Promise.all(writers.map(async (w, i) => {
      for (let k = 0; k < 10; k++) {
        const body = `i${i}-${k}`;
        await w.send(room, body);
        sent.push(body);
      }
    }));

    // Incremental syncs hopping from instance to instance: every message once, in stream order.
    const seen: string[] = [];
    let token = start.body.next_batch as string;
    const tokens = [token];
    for (let hop = 0; hop < 60 && seen.length < sent.length; hop++) {
      const r = await c.as(hop % 3, dave).sync({ since: token, timeout: 300, filter: WIDE });
      assert.equal(r.status, 200);
      for (const e of timeline(r.body, room)) if (e.type === 'm.room.message') seen.push(e.content.body);
      token = r.body.next_batch;
      tokens.push(token);
    }
    assert.equal(seen.length, sent.length, `seen ${seen.length} of ${sent.length}`);
    assert.deepEqual([...seen].sort(), [...sent].sort());
    assert.equal(new Set(seen).size, seen.length, 'no message twice');
    // Each writer's messages keep their order.
    for (let i = 0; i < 3; i++) {
      const mine = seen.filter((b) => b.startsWith(`i${i}-`));
      assert.deepEqual(mine, Array.from({ length: 10 }, (_, k) => `i${i}-${k}`));
    }
    // /messages (the stream order) agrees with the sync order.
    const msgs = await dave.get(`${V3}/rooms/${encodeURIComponent(room)}/messages?dir=f&limit=100`);
    assert.deepEqual(msgs.body.chunk.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body), seen);
    // The rooms position in successive tokens never goes back.
    const roomsPos = tokens.map((t) => Number(t.slice(1).split('_')[0]));
    for (let k = 1; k < roomsPos.length; k++) assert.ok(roomsPos[k] >= roomsPos[k - 1], `token ${k} went back: ${roomsPos.join(',')}`);
  });

  test('a long-poll on one instance wakes within 50 ms of a write on another', async () => {
    const erin = await c.at(0).client().register('erin', 'pw');
    const frank = await c.at(0).client().register('frank', 'pw');
    const room = await erin.createRoom({ preset: 'public_chat' });
    await frank.join(room);
    const delays: number[] = [];
    for (let round = 0; round < 9; round++) {
      const x = round % 3;
      const y = (round + 1) % 3;
      const watcher = c.as(x, frank);
      const writer = c.as(y, erin);
      const head = await watcher.sync({ timeout: 0 });
      let since = head.body.next_batch as string;
      // Let earlier changes (own presence) settle so the long-poll is parked at the head.
      for (;;) {
        const r = await watcher.sync({ since, timeout: 100 });
        if (timeline(r.body, room).length === 0 && (r.body.presence?.events ?? []).length === 0) {
          since = r.body.next_batch;
          break;
        }
        since = r.body.next_batch;
      }
      const started = performance.now();
      const poll = (async () => {
        // Other changes (the writer's presence) may wake the long-poll first: follow on until the message.
        for (let token = since; ;) {
          const r = await watcher.sync({ since: token, timeout: 20_000 });
          if (timeline(r.body, room).some((e) => e.content?.body === `wake ${round}`)) return performance.now();
          assert.ok(performance.now() - started < 20_000, `round ${round}: no message`);
          token = r.body.next_batch;
        }
      })();
      await sleep(150);
      await writer.send(room, `wake ${round}`);
      const ackedAt = performance.now();
      const at = await poll;
      delays.push(at - ackedAt);
    }
    delays.sort((a, b) => a - b);
    console.log(`cross-instance wake-up after the write's 200, ms: ${delays.map((d) => d.toFixed(1)).join(' ')}`);
    // Eight of nine must be within 50 ms; one may meet a busy moment of the shared 2-core machine.
    assert.ok(delays[7] < 50, `wake-ups: ${delays.map((d) => d.toFixed(1)).join(', ')} ms`);
  });

  test('the device union spans instances', async () => {
    const gina = await c.at(0).client().register('gina', 'pw');
    const hank = await c.at(0).client().register('hank', 'pw');
    const room = await gina.createRoom({ preset: 'public_chat' });
    await hank.join(room);
    const d1 = await loginOn(c, 0, 'gina');
    const d2 = await loginOn(c, 1, 'gina');
    const viewer = c.as(2, hank);

    const state = async () => (await viewer.get(`${V3}/presence/${encodeURIComponent(gina.userId)}/status`)).body.presence as string;
    // Joining was activity: let it time out, so only the two devices below count.
    await c.advance(33_000);
    await eventually(async () => ((await state()) === 'offline' ? true : undefined), 5000, 'offline before the devices sync');
    assert.equal((await d1.sync({ timeout: 0, set_presence: 'unavailable' })).status, 200);
    await eventually(async () => ((await state()) === 'unavailable' ? true : undefined), 5000, 'unavailable from device 1 on instance 0');
    assert.equal((await d2.sync({ timeout: 0, set_presence: 'online' })).status, 200);
    await eventually(async () => ((await state()) === 'online' ? true : undefined), 5000, 'online from device 2 on instance 1');
    // Device 2 stops syncing; device 1 keeps syncing as unavailable: after the sync timeout only device 1 counts.
    for (let k = 0; k < 12; k++) {
      await c.advance(3000);
      assert.equal((await d1.sync({ timeout: 0, set_presence: 'unavailable' })).status, 200);
    }
    await eventually(async () => ((await state()) === 'unavailable' ? true : undefined), 5000, 'back to unavailable when device 2 timed out');
  });

  test('idle and offline timers fire once cluster-wide: one transition, one notification per observer', async () => {
    const ivan = await c.at(1).client().register('ivan', 'pw');
    const room = await ivan.createRoom({ preset: 'public_chat' });
    const observers: TestClient[] = [];
    for (let i = 0; i < 3; i++) {
      const o = await c.at(i).client().register(`watcher${i}`, 'pw');
      await o.join(room);
      observers.push(o);
    }
    // Ivan's one device: a long-poll parked on instance 1 (connected, not active).
    const ivanPoll = new AbortController();
    const head = await ivan.sync({ timeout: 0 });
    const parked = fetch(`${c.at(1).url}${V3}/sync?since=${head.body.next_batch}&timeout=280000`, {
      headers: { authorization: `Bearer ${ivan.accessToken}` }, signal: ivanPoll.signal,
    }).catch(() => undefined);
    await eventually(async () => {
      const r = await observers[0].get(`${V3}/presence/${encodeURIComponent(ivan.userId)}/status`);
      return r.body.presence === 'online' ? true : undefined;
    }, 5000, 'ivan online');

    const heads = await Promise.all(observers.map((o) => o.sync({ timeout: 0 })));
    const followers = observers.map((o, i) => follow(o, ivan.userId, heads[i].body.next_batch));
    const before = await Promise.all([0, 1, 2].map((i) => metric(c, i, 'presenced_presence_transitions_total{from="online",to="unavailable"}')));

    // Past the 20 s idle timeout: ivan goes unavailable; his parked sync keeps him connected.
    await c.advance(24_000);
    await eventually(async () => (followers.every((f) => f.seen.includes('unavailable')) ? true : undefined), 10_000, 'every observer sees ivan idle');
    const afterIdle = await Promise.all([0, 1, 2].map((i) => metric(c, i, 'presenced_presence_transitions_total{from="online",to="unavailable"}')));

    // His connection ends; 30 s later (plus the 1 s grace for a next sync to resume it) he is offline.
    ivanPoll.abort();
    await parked;
    await sleep(200);
    await c.advance(36_000);
    await eventually(async () => (followers.every((f) => f.seen.includes('offline')) ? true : undefined), 10_000, 'every observer sees ivan offline');
    await sleep(500);
    for (const f of followers) await f.stop();

    for (const [i, f] of followers.entries()) {
      const says = (p: string) => f.seen.filter((s) => s === p).length;
      assert.equal(says('unavailable'), 1, `observer on instance ${i} saw ${f.seen.join(',')}`);
      assert.equal(says('offline'), 1, `observer on instance ${i} saw ${f.seen.join(',')}`);
      assert.equal(f.seen[f.seen.length - 1], 'offline');
    }
    // The three observers went idle too (the same clock, their long-polls are no activity):
    // four users, and four online -> unavailable transitions summed over the three
    // instances, so no timer was carried out twice.
    const idleTransitions = afterIdle.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0);
    assert.equal(idleTransitions, 4);
  });

  test('back-to-back long-polls of a device write nothing; its last end is written after the 1 s grace', async () => {
    const lee = await c.at(2).client().register('lee', 'pw');
    const db = new pg.Client({ connectionString: DB_URL });
    await db.connect();
    try {
      const row = async () => (await db.query(`SELECT state, stream_pos FROM "${c.schema}".presence WHERE user_id = $1`, [lee.userId])).rows[0] as { state: string } | undefined;
      const first = await lee.sync({ timeout: 0 });
      let token = first.body.next_batch as string;
      await sleep(300);
      const before = await row();
      assert.ok(before, 'the first sync wrote the device');
      for (let k = 0; k < 10; k++) {
        const r = await lee.sync({ since: token, timeout: 0 });
        assert.equal(r.status, 200);
        token = r.body.next_batch;
      }
      assert.deepEqual(await row(), before, 'ten more syncs, resumed within the grace, wrote nothing');
      await c.advance(2000);
      await eventually(async () => ((await row())?.state !== before.state ? true : undefined), 5000, 'the end written after the grace');
    } finally {
      await db.end();
    }
  });

  test('rate limits are cluster-wide: one bucket per user whichever instance answers', async () => {
    const kim = await c.at(0).client().register('kim', 'pw');
    const path = `${V3}/presence/${encodeURIComponent(kim.userId)}/status`;
    const statuses: number[] = [];
    for (let k = 0; k < 6; k++) {
      const res = await c.as(k % 3, kim).put(path, { presence: 'online', status_msg: `n${k}` });
      statuses.push(res.status);
      if (res.status === 429) {
        assert.equal(res.body.errcode, 'M_LIMIT_EXCEEDED');
        assert.ok(res.body.retry_after_ms > 0);
      }
    }
    // A burst of 4 shared by the three instances; alone, each would have allowed 4.
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  });
});
