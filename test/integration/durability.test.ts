/** A write acknowledged with 200 is durable: committed before the answer, and there after a restart. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkEvent, loadOrCreateSigningKey } from '../../src/federation/index.js';
import { SqliteDb } from '../../src/storage/index.js';
import { TestClient } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';
import { V3, assertOk, enc, roomPath, sharedRoom, syncOk, uniqueName } from '../helpers/integration.js';

function reconnect(c: TestClient, url: string): TestClient {
  const n = new TestClient(url);
  Object.assign(n, { userId: c.userId, deviceId: c.deviceId, accessToken: c.accessToken });
  return n;
}

describe('durability', () => {
  test('an acknowledged event is committed: a separate connection to the database sees it', async () => {
    const srv = await startTestServer();
    try {
      const u = await new TestClient(srv.url).register(uniqueName('commit'));
      const roomId = await u.createRoom({});
      const eventId = await u.send(roomId, 'committed?');
      const db = new SqliteDb(join(srv.dataDir, 'presenced.db'));
      try {
        const row = await db.get<{ room_id: string }>('SELECT room_id FROM events WHERE event_id = ?', [eventId]);
        assert.equal(row?.room_id, roomId);
      } finally {
        await db.close();
      }
    } finally {
      await srv.close();
    }
  });

  test('everything written before a restart is there after it, and streams continue', async () => {
    const first = await startTestServer();
    const dataDir = first.dataDir;
    let second: Awaited<ReturnType<typeof startTestServer>> | undefined;
    try {
      const alice = await new TestClient(first.url).register(uniqueName('dura'));
      const bob = await new TestClient(first.url).register(uniqueName('durb'));
      const aliasName = uniqueName('durable');
      const roomId = await sharedRoom(alice, [bob], { name: 'Durable', room_alias_name: aliasName });
      const txnPath = roomPath(roomId, 'send', 'm.room.message', 'before-restart');
      const before = assertOk(await alice.put(txnPath, { msgtype: 'm.text', body: 'before' })).event_id;
      assertOk(await alice.put(`${V3}/profile/${enc(alice.userId)}/displayname`, { displayname: 'Alice Durable' }));
      assertOk(await alice.put(`${V3}/user/${enc(alice.userId)}/account_data/org.example.g`, { g: 1 }));
      assertOk(await alice.put(`${V3}/user/${enc(alice.userId)}/rooms/${enc(roomId)}/account_data/org.example.r`, { r: 2 }));
      const filterId = assertOk(await alice.post(`${V3}/user/${enc(alice.userId)}/filter`, { room: { timeline: { limit: 7 } } })).filter_id;
      assertOk(await alice.put(`${V3}/pushrules/global/room/${enc(roomId)}`, { actions: [] }));
      assertOk(await bob.post(roomPath(roomId, 'receipt', 'm.read', before), {}));
      const bobSince = (await syncOk(bob)).next_batch;
      assertOk(await alice.put(`${V3}/sendToDevice/org.example.later/d1`, { messages: { [bob.userId]: { [bob.deviceId]: { kept: true } } } }));

      await first.close({ keepData: true });
      second = await startTestServer({ dataDir });
      const a2 = reconnect(alice, second.url);
      const b2 = reconnect(bob, second.url);

      assert.equal(assertOk(await a2.get(`${V3}/account/whoami`)).user_id, alice.userId, 'access tokens survive');
      assertOk(await new TestClient(second.url).post(`${V3}/login`, {
        type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: 'correct horse',
      }, { token: null }), 'password survives');
      assert.deepEqual(assertOk(await b2.get(`${V3}/joined_rooms`)).joined_rooms, [roomId]);
      assert.deepEqual(Object.keys(assertOk(await a2.get(roomPath(roomId, 'joined_members'))).joined).sort(), [alice.userId, bob.userId].sort());
      const chunk = assertOk(await b2.get(`${roomPath(roomId, 'messages')}?dir=b&limit=50`)).chunk;
      assert.ok(chunk.some((e: any) => e.event_id === before), 'message kept');
      assert.deepEqual(assertOk(await a2.get(roomPath(roomId, 'state', 'm.room.name'))), { name: 'Durable' });
      assert.deepEqual(assertOk(await b2.get(`${V3}/profile/${enc(alice.userId)}/displayname`)), { displayname: 'Alice Durable' });
      assert.deepEqual(assertOk(await a2.get(`${V3}/user/${enc(alice.userId)}/account_data/org.example.g`)), { g: 1 });
      assert.deepEqual(assertOk(await a2.get(`${V3}/user/${enc(alice.userId)}/rooms/${enc(roomId)}/account_data/org.example.r`)), { r: 2 });
      assert.deepEqual(assertOk(await a2.get(`${V3}/user/${enc(alice.userId)}/filter/${filterId}`)).room.timeline, { limit: 7 });
      assert.deepEqual(assertOk(await a2.get(`${V3}/pushrules/global/room/${enc(roomId)}`)).actions, []);
      assert.equal(assertOk(await b2.get(`${V3}/directory/room/${enc(`#${aliasName}:localhost`)}`)).room_id, roomId);

      // The same transaction ID still maps to the same event.
      assert.equal(assertOk(await a2.put(txnPath, { msgtype: 'm.text', body: 'before' })).event_id, before);

      // Streams continue from where they were: a pre-restart token sees only what came after it.
      const after = await a2.send(roomId, 'after');
      const sync = await syncOk(b2, { since: bobSince });
      assert.deepEqual(sync.rooms.join[roomId].timeline.events.map((e: any) => e.event_id), [after]);
      assert.deepEqual(sync.to_device.events, [{ sender: alice.userId, type: 'org.example.later', content: { kept: true } }]);
      const receipts = assertOk(await b2.sync()).rooms.join[roomId].ephemeral.events.find((e: any) => e.type === 'm.receipt');
      assert.ok(receipts?.content[before]?.['m.read']?.[bob.userId], JSON.stringify(receipts));

      // The event chain continues, signed with the same key as before the restart.
      const key = loadOrCreateSigningKey(join(dataDir, 'signing.key'));
      const keys = { localhost: { [key.keyId]: key.publicKey } };
      const oldPdu = (await second.server.storage.rooms.getEvent(before))!.pdu;
      const newPdu = (await second.server.storage.rooms.getEvent(after))!.pdu;
      assert.equal(checkEvent(oldPdu, keys).ok, true);
      assert.equal(checkEvent(newPdu, keys).ok, true);
      assert.ok(newPdu.depth > oldPdu.depth, 'depth keeps growing');
    } finally {
      if (second) await second.close();
      else await first.close();
    }
  });
});
