/** Shared pieces of the storage contract: the stores under test and fake (unsigned) PDUs. */
import type { Pdu } from '../../../src/common/events.js';
import type { SqlDb } from '../../../src/storage/index.js';
import type { SqlRoomStore } from '../../../src/storage/sql/rooms.js';
import type { SqlToDeviceStore } from '../../../src/storage/sql/toDevice.js';
import type { SqlUserStore } from '../../../src/storage/sql/users.js';

export interface StoreContext {
  db: SqlDb;
  users: SqlUserStore;
  rooms: SqlRoomStore;
  toDevice: SqlToDeviceStore;
}

export type GetContext = () => StoreContext;

export const T0 = 1_700_000_000_000;

let seq = 0;

/**
 * A PDU shaped like a stored room version 10 event. The stores never check hashes or
 * signatures, so placeholders do; state_key is left out, not undefined, for non-state events
 * (the JSON round trip drops undefined and deepEqual would notice).
 */
export function fakePdu(p: { room_id: string; sender: string; type: string; state_key?: string; content?: Record<string, unknown> }): Pdu & { event_id: string } {
  seq += 1;
  const ev: Pdu & { event_id: string } = {
    event_id: `$fake${seq}`,
    room_id: p.room_id,
    sender: p.sender,
    type: p.type,
    content: p.content ?? {},
    origin_server_ts: T0 + seq,
    depth: seq,
    prev_events: [],
    auth_events: [],
    hashes: { sha256: 'placeholder' },
    signatures: { localhost: { 'ed25519:test': 'placeholder' } },
  };
  if (p.state_key !== undefined) ev.state_key = p.state_key;
  return ev;
}

export const member = (roomId: string, userId: string, membership: string, sender = userId) =>
  fakePdu({ room_id: roomId, sender, type: 'm.room.member', state_key: userId, content: { membership } });

export const message = (roomId: string, sender: string, body: string) =>
  fakePdu({ room_id: roomId, sender, type: 'm.room.message', content: { msgtype: 'm.text', body } });
