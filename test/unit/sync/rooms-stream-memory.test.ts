/**
 * The rooms section of /sync read from memory (recent events, membership rows, positions)
 * must be what storage alone gives. Two RoomsStreams watch the same rooms on a real
 * SQLite database: one as a single instance (memory first), one as in a cluster (storage
 * only). Over random histories of messages, state, joins, leaves, invites, redactions,
 * receipts, room account data and forgets, every user's answer from a random earlier
 * token, with random timeline limits and lazy members, is compared between the two.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/common/clock.js';
import type { JsonObject } from '../../../src/common/events.js';
import { generateSigningKey } from '../../../src/federation/index.js';
import { MembershipIndex, Memberships, RoomCreator, RoomEvents } from '../../../src/rooms/index.js';
import { SqliteDb, migrate, storageOver, type Storage } from '../../../src/storage/index.js';
import { parseFilter } from '../../../src/sync/filter.js';
import { RoomsStream } from '../../../src/sync/streams/rooms.js';
import { emptyJoined, emptyResponse } from '../../../src/sync/service.js';
import type { SyncContext } from '../../../src/sync/streams/types.js';
import { zeroPositions, type StreamPositions } from '../../../src/sync/token.js';
import { seededRandom } from '../../../bench/lib/roomMix.js';

const opened: Storage[] = [];
after(async () => {
  for (const s of opened) await s.close();
});

interface World {
  storage: Storage;
  rooms: RoomEvents;
  members: Memberships;
  creator: RoomCreator;
  clock: ManualClock;
  index: MembershipIndex;
}

async function world(): Promise<World> {
  const db = new SqliteDb(':memory:');
  await migrate(db);
  const storage = storageOver(db);
  opened.push(storage);
  const clock = new ManualClock();
  const index = new MembershipIndex();
  const rooms = new RoomEvents(storage.rooms, index, clock, 'x', generateSigningKey());
  const profileOf = async (u: string) => ({ displayname: u.slice(1, u.indexOf(':')), avatar_url: null });
  const members = new Memberships(rooms, profileOf);
  const creator = new RoomCreator(rooms, members, profileOf, clock);
  return { storage, rooms, members, creator, clock, index };
}

function streamsOf(w: World, limits?: { perRoom: number; total: number }) {
  const memory = new RoomsStream(w.rooms, w.storage.users, w.storage.rooms, w.index, { recent: limits });
  const storageOnly = new RoomsStream(w.rooms, w.storage.users, w.storage.rooms, w.index, { shared: true });
  return { memory, storageOnly };
}

async function fillWith(stream: RoomsStream, userId: string, since: StreamPositions | null, to: StreamPositions, filterJson: JsonObject, now: number) {
  const response = emptyResponse();
  const ctx: SyncContext = {
    userId,
    deviceId: 'D',
    filter: parseFilter(filterJson),
    since,
    to: { ...to },
    fullState: false,
    now,
    joinedRooms: [],
    newlyJoined: new Set(),
    response,
    joined: (roomId) => (response.rooms.join[roomId] ??= emptyJoined()),
  };
  await stream.fill(ctx);
  return { rooms: response.rooms, joined: [...ctx.joinedRooms].sort(), newly: [...ctx.newlyJoined].sort() };
}

describe('rooms stream: memory answers as storage does', () => {
  for (const seed of [11, 12, 13, 14]) {
    test(`random history (seed ${seed})`, async () => {
      const rand = seededRandom(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
      const w = await world();
      const users = Array.from({ length: 6 }, (_, i) => `@u${i}:x`);
      const roomIds: string[] = [];
      const event = new Map<string, string[]>();
      // Tokens from before the streams started: their ranges reach into what was never noted.
      const early: number[] = [];
      // Part of the history happens before the streams start: they never saw it.
      for (let i = 0; i < 3; i++) {
        const owner = users[i];
        const roomId = await w.creator.create(owner, { preset: 'public_chat' });
        roomIds.push(roomId);
        for (const u of users) if (u !== owner && rand() < 0.7) await w.members.join(u, roomId);
        early.push(await w.storage.toDevice.currentPosition('rooms'));
        for (let k = 0; k < 4; k++) {
          const ev = await w.rooms.send(owner, roomId, 'm.room.message', { msgtype: 'm.text', body: `before ${k}` });
          (event.get(roomId) ?? event.set(roomId, []).get(roomId)!).push(ev.pdu.event_id);
        }
      }
      // Tiny limits, so events are let go and storage must fill in.
      const { memory, storageOnly } = streamsOf(w, { perRoom: 1 + Math.floor(rand() * 5), total: 3 + Math.floor(rand() * 10) });
      const startPos = await w.storage.toDevice.currentPosition('rooms');
      for (const s of [memory, storageOnly]) s.setPosition(startPos);
      w.rooms.listen({
        eventPersisted(ev) {
          memory.noteEvent(ev);
          storageOnly.noteEvent(ev);
          if (ev.pdu.type === 'm.room.message') (event.get(ev.pdu.room_id) ?? event.set(ev.pdu.room_id, []).get(ev.pdu.room_id)!).push(ev.pdu.event_id);
        },
        membershipForgotten(_r, userId) {
          memory.noteForgotten(userId);
          storageOnly.noteForgotten(userId);
        },
      });
      const tokens: { rooms: number; accountData: number; receipts: number }[] = [0, ...early].map((rooms) => ({ rooms, accountData: 0, receipts: 0 }));
      let accountDataPos = 0;
      let receiptsPos = 0;
      let compared = 0;
      let fromMemory = 0;
      const spyRead = w.storage.rooms.roomEvents.bind(w.storage.rooms);
      let reads = 0;
      w.storage.rooms.roomEvents = async (...args) => {
        reads++;
        return spyRead(...args);
      };
      for (let step = 0; step < 120; step++) {
        const u = pick(users);
        const roomId = pick(roomIds);
        const r = rand();
        try {
          if (r < 0.45) {
            await w.rooms.send(u, roomId, 'm.room.message', { msgtype: 'm.text', body: `s${step}` });
          } else if (r < 0.5) {
            await w.rooms.send(u, roomId, 'm.room.topic', { topic: `t${step}` }, { stateKey: '' });
          } else if (r < 0.6) {
            await w.members.join(u, roomId);
          } else if (r < 0.68) {
            await w.members.leave(u, roomId);
          } else if (r < 0.72) {
            await w.members.invite(u, roomId, pick(users));
          } else if (r < 0.78) {
            const target = pick(event.get(roomId) ?? ['$none']);
            const red = await w.rooms.send(u, roomId, 'm.room.redaction', {}, { redacts: target });
            await w.storage.rooms.markRedacted(target, red.pdu.event_id);
          } else if (r < 0.83) {
            const target = pick(event.get(roomId) ?? ['$none']);
            receiptsPos = await w.storage.rooms.putReceipt({ roomId, userId: u, receiptType: 'm.read', threadId: '', eventId: target, ts: step });
          } else if (r < 0.87) {
            accountDataPos = await w.storage.users.putAccountData(u, roomId, 'org.example.tag', { step });
          } else if (r < 0.9) {
            await w.members.forget(u, roomId);
          } else if (r < 0.93) {
            roomIds.push(await w.creator.create(u, { preset: 'public_chat' }));
          }
        } catch {
          // Refused by the auth rules (not joined, not allowed): nothing was stored.
        }
        const to = { ...zeroPositions(), rooms: memory.position(), accountData: accountDataPos, receipts: receiptsPos };
        assert.equal(memory.position(), storageOnly.position());
        if (rand() < 0.3) tokens.push({ rooms: to.rooms, accountData: to.accountData, receipts: to.receipts });
        for (let q = 0; q < 3; q++) {
          const viewer = pick(users);
          const t = pick(tokens);
          const since = rand() < 0.1 ? null : { ...zeroPositions(), ...t };
          const filter: JsonObject = { room: { timeline: { limit: 1 + Math.floor(rand() * 8) }, state: { lazy_load_members: rand() < 0.5 }, include_leave: rand() < 0.5 } };
          const before = reads;
          const a = await fillWith(memory, viewer, since, to, filter, 1000);
          const readsByMemory = reads - before;
          const b = await fillWith(storageOnly, viewer, since, to, filter, 1000);
          assert.deepEqual(a, b, `step ${step}: ${viewer} since ${JSON.stringify(since)} to ${to.rooms}`);
          compared++;
          if (readsByMemory < reads - before - readsByMemory) fromMemory++;
        }
      }
      assert.ok(compared >= 360);
      assert.ok(fromMemory > 20, `memory saved timeline reads in ${fromMemory} answers`);
    });
  }
});
