/**
 * A real client against the real server: two matrix-js-sdk clients, each with its own
 * running sync loop, register, create a room, invite, join, talk and change displayname,
 * and each sees the other's actions only through its sync.
 */
// First: the SDK's logger must be silenced before SDK modules are evaluated.
import '../helpers/sdkQuiet.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClientEvent, createClient, RoomEvent, RoomMemberEvent, SyncState,
  type MatrixEvent, type Room, type RoomMember,
} from 'matrix-js-sdk';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { uniqueName } from '../helpers/integration.js';
import { registerWithSdk, silentLogger, unrefNewTimers, waitForEvent, type MatrixClient } from '../helpers/sdk.js';

const WAIT_MS = 10_000;

let srv: TestServer;
let restoreTimers: () => void = () => {};
const clients: MatrixClient[] = [];
/** Every non-2xx answer the SDK got, to report endpoints it needs that we lack. */
const failures: string[] = [];

const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (!res.ok) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = await res.clone().text().catch(() => '');
    failures.push(`${init?.method ?? 'GET'} ${new URL(url).pathname} -> ${res.status} ${body.slice(0, 200)}`);
  }
  return res;
};

async function startedClient(label: string): Promise<MatrixClient> {
  const creds = await registerWithSdk(srv.url, uniqueName(label), 'sdk password');
  const client = createClient({ baseUrl: srv.url, ...creds, logger: silentLogger, fetchFn: recordingFetch });
  clients.push(client);
  const prepared = waitForEvent<[SyncState, SyncState | null, { error?: Error } | undefined]>(client, ClientEvent.Sync, (state, _prev, data) => {
    if (state === SyncState.Error) throw new Error(`${label}'s first sync failed: ${String(data?.error)}; failed requests: ${failures.join('; ')}`);
    return state === SyncState.Prepared;
  }, `${label}'s first sync`, WAIT_MS);
  await client.startClient({ initialSyncLimit: 20 });
  await prepared;
  return client;
}

const isMessage = (ev: MatrixEvent, body: string) => ev.getType() === 'm.room.message' && ev.getContent().body === body;

before(async () => {
  restoreTimers = unrefNewTimers();
  srv = await startTestServer();
});

after(async () => {
  for (const c of clients) c.stopClient();
  await srv?.close();
  restoreTimers();
});

test('two matrix-js-sdk clients meet in a room through their own sync loops', async (t) => {
  const alice = await startedClient('sdka');
  const bob = await startedClient('sdkb');
  const aliceId = alice.getUserId()!;
  const bobId = bob.getUserId()!;

  // Alice creates a room; her own client learns of it through sync.
  const aliceSeesRoom = waitForEvent<[Room]>(alice, ClientEvent.Room, () => true, 'alice to see her new room', WAIT_MS);
  const { room_id: roomId } = await alice.createRoom({ name: 'SDK meeting' });
  const [aliceRoom] = await aliceSeesRoom;
  assert.equal(aliceRoom.roomId, roomId);

  // Bob sees the invite arrive in his sync.
  const bobInvited = waitForEvent<[Room, string, string | undefined]>(bob, RoomEvent.MyMembership,
    (room, membership) => room.roomId === roomId && membership === 'invite', 'bob to see the invite', WAIT_MS);
  await alice.invite(roomId, bobId);
  const [invitedRoom] = await bobInvited;
  assert.equal(invitedRoom.name, 'SDK meeting', 'invite_state carries the room name');

  // Bob joins; Alice sees his membership change to join.
  const aliceSeesJoin = waitForEvent<[MatrixEvent, RoomMember]>(alice, RoomMemberEvent.Membership,
    (_ev, member) => member.roomId === roomId && member.userId === bobId && member.membership === 'join', 'alice to see bob join', WAIT_MS);
  const bobJoined = waitForEvent<[Room, string, string | undefined]>(bob, RoomEvent.MyMembership,
    (room, membership) => room.roomId === roomId && membership === 'join', 'bob to see himself joined', WAIT_MS);
  await bob.joinRoom(roomId);
  await Promise.all([aliceSeesJoin, bobJoined]);

  // Each sees the other's message in the room timeline.
  const bobGetsHello = waitForEvent<[MatrixEvent, Room | undefined]>(bob, RoomEvent.Timeline,
    (ev, room) => room?.roomId === roomId && ev.getSender() === aliceId && isMessage(ev, 'hello from alice'), 'bob to receive alice\'s message', WAIT_MS);
  await alice.sendTextMessage(roomId, 'hello from alice');
  await bobGetsHello;

  const aliceGetsReply = waitForEvent<[MatrixEvent, Room | undefined]>(alice, RoomEvent.Timeline,
    (ev, room) => room?.roomId === roomId && ev.getSender() === bobId && isMessage(ev, 'hi alice, bob here'), 'alice to receive bob\'s reply', WAIT_MS);
  await bob.sendTextMessage(roomId, 'hi alice, bob here');
  await aliceGetsReply;

  // Alice's own message came back to her with its transaction matched (not duplicated).
  const aliceTimeline = alice.getRoom(roomId)!.getLiveTimeline().getEvents().filter((ev) => isMessage(ev, 'hello from alice'));
  assert.equal(aliceTimeline.length, 1, 'local echo and remote echo are one event');
  assert.match(aliceTimeline[0].getId()!, /^\$/);

  // Alice changes her displayname; Bob sees her member's name change.
  const bobSeesName = waitForEvent<[MatrixEvent, RoomMember]>(bob, RoomMemberEvent.Name,
    (_ev, member) => member.roomId === roomId && member.userId === aliceId && member.name === 'Alice in SDK land', 'bob to see alice\'s new name', WAIT_MS);
  await alice.setDisplayName('Alice in SDK land');
  await bobSeesName;
  assert.equal(bob.getRoom(roomId)!.getMember(aliceId)!.name, 'Alice in SDK land');

  // Bob's room agrees with Alice's about who is in it.
  const members = (c: MatrixClient) => c.getRoom(roomId)!.getJoinedMembers().map((m) => m.userId).sort();
  assert.deepEqual(members(bob), [aliceId, bobId].sort());
  assert.deepEqual(members(alice), [aliceId, bobId].sort());

  const serverErrors = failures.filter((f) => / -> 5\d\d /.test(f));
  assert.deepEqual(serverErrors, [], 'the SDK never got a 5xx');
  if (failures.length) t.diagnostic(`non-2xx answers seen by the SDK: ${failures.join(' | ')}`);
});
