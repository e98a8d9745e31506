import type { SqlDb, SqlExecutor, SqlValue } from '../sql.js';
import { nextPosition } from '../sql.js';
import type {
  MembershipRow, PersistEventInput, ReceiptRow, ReceiptStore, RoomRow, RoomStore, RoomTx, StoredEvent,
} from '../../rooms/store.js';

type Row = Record<string, any>;

const EVENT_COLS = 'stream_pos, json, redacted_by, replaces_state, txn_device, txn_id';

const toEvent = (r: Row): StoredEvent => ({
  pdu: JSON.parse(r.json),
  streamPos: Number(r.stream_pos),
  redactedBy: r.redacted_by ?? null,
  replacesState: r.replaces_state ?? null,
  txn: r.txn_id ? { deviceId: r.txn_device, txnId: r.txn_id } : null,
});

const toMembership = (r: Row): MembershipRow => ({
  roomId: r.room_id,
  userId: r.user_id,
  membership: r.membership,
  eventId: r.event_id,
  streamPos: Number(r.stream_pos),
  forgotten: Number(r.forgotten) === 1,
});

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

export class SqlRoomStore implements RoomStore, ReceiptStore {
  constructor(private readonly db: SqlDb) {}

  async createRoom(room: RoomRow, ts: number) {
    await this.db.run('INSERT INTO rooms (room_id, room_version, creator, is_public, created_ts) VALUES (?, ?, ?, ?, ?)', [
      room.roomId, room.roomVersion, room.creator, room.isPublic ? 1 : 0, ts,
    ]);
  }

  async getRoom(roomId: string) {
    const r = await this.db.get<Row>('SELECT * FROM rooms WHERE room_id = ?', [roomId]);
    return r ? { roomId: r.room_id, roomVersion: r.room_version, creator: r.creator, isPublic: Number(r.is_public) === 1 } : undefined;
  }

  async setRoomPublic(roomId: string, isPublic: boolean) {
    await this.db.run('UPDATE rooms SET is_public = ? WHERE room_id = ?', [isPublic ? 1 : 0, roomId]);
  }

  async listPublicRooms() {
    return (await this.db.all<Row>('SELECT room_id FROM rooms WHERE is_public = 1 ORDER BY created_ts')).map((r) => r.room_id as string);
  }

  withRoomLock<T>(roomId: string, fn: (tx: RoomTx) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      // SQLite has one writer already; PostgreSQL instances queue on a per-room advisory lock.
      if (this.db.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(hashtext(?)) AS locked', [roomId]);
      return fn(tx as unknown as RoomTx);
    });
  }

  async persistEvent(input: PersistEventInput, roomTx?: RoomTx): Promise<StoredEvent> {
    if (roomTx) return this.writeEvent(roomTx as unknown as SqlExecutor, input);
    return this.db.transaction((tx) => this.writeEvent(tx, input));
  }

  private async writeEvent(tx: SqlExecutor, { pdu, txn }: PersistEventInput): Promise<StoredEvent> {
    {
      const pos = await nextPosition(tx, 'rooms');
      let replaces: string | null = null;
      if (pdu.state_key !== undefined) {
        const prev = await tx.get<Row>('SELECT event_id FROM room_state WHERE room_id = ? AND type = ? AND state_key = ?', [
          pdu.room_id, pdu.type, pdu.state_key,
        ]);
        replaces = prev?.event_id ?? null;
      }
      await tx.run(
        `INSERT INTO events (stream_pos, event_id, room_id, type, state_key, sender, depth, origin_server_ts, replaces_state, txn_device, txn_id, json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [pos, pdu.event_id, pdu.room_id, pdu.type, pdu.state_key ?? null, pdu.sender, pdu.depth, pdu.origin_server_ts, replaces,
          txn?.deviceId ?? null, txn?.txnId ?? null, JSON.stringify(pdu)],
      );
      if (pdu.state_key !== undefined) {
        await tx.run(
          `INSERT INTO room_state (room_id, type, state_key, event_id) VALUES (?, ?, ?, ?)
           ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id`,
          [pdu.room_id, pdu.type, pdu.state_key, pdu.event_id],
        );
        if (pdu.type === 'm.room.member') await this.upsertMembership(tx, pdu.room_id, pdu.state_key, String(pdu.content.membership), pdu.event_id, pos);
      }
      if (txn) {
        await tx.run('INSERT INTO txns (user_id, device_id, txn_id, event_id, created_ts) VALUES (?, ?, ?, ?, ?)', [
          txn.userId, txn.deviceId, txn.txnId, pdu.event_id, txn.ts,
        ]);
      }
      return { pdu, streamPos: pos, redactedBy: null, replacesState: replaces, txn: txn ? { deviceId: txn.deviceId, txnId: txn.txnId } : null };
    }
  }

  private async upsertMembership(tx: SqlExecutor, roomId: string, userId: string, membership: string, eventId: string, pos: number) {
    await tx.run(
      `INSERT INTO memberships (room_id, user_id, membership, event_id, stream_pos, forgotten) VALUES (?, ?, ?, ?, ?, 0)
       ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, event_id = excluded.event_id,
         stream_pos = excluded.stream_pos, forgotten = 0`,
      [roomId, userId, membership, eventId, pos],
    );
  }

  async getEvent(eventId: string) {
    const r = await this.db.get<Row>(`SELECT ${EVENT_COLS} FROM events WHERE event_id = ?`, [eventId]);
    return r ? toEvent(r) : undefined;
  }

  async getEvents(eventIds: string[]) {
    if (eventIds.length === 0) return [];
    const rows = await this.db.all<Row>(`SELECT ${EVENT_COLS} FROM events WHERE event_id IN (${placeholders(eventIds.length)}) ORDER BY stream_pos`, eventIds);
    return rows.map(toEvent);
  }

  async markRedacted(eventId: string, redactedBy: string) {
    await this.db.run('UPDATE events SET redacted_by = ? WHERE event_id = ? AND redacted_by IS NULL', [redactedBy, eventId]);
  }

  async currentStateWithMembers(roomId: string, members: string[]) {
    // The placeholders' count varies with the timeline's senders (at most the timeline limit).
    const marks = members.map(() => '?').join(', ');
    const rows = await this.db.all<Row>(
      `SELECT e.stream_pos, e.json, e.redacted_by, e.replaces_state, e.txn_device, e.txn_id FROM room_state s JOIN events e ON e.event_id = s.event_id
       WHERE s.room_id = ? AND (s.type <> 'm.room.member'${members.length ? ` OR s.state_key IN (${marks})` : ''}) ORDER BY e.stream_pos`,
      [roomId, ...members],
    );
    return rows.map(toEvent);
  }

  async currentState(roomId: string) {
    const rows = await this.db.all<Row>(
      `SELECT e.stream_pos, e.json, e.redacted_by, e.replaces_state, e.txn_device, e.txn_id FROM room_state s JOIN events e ON e.event_id = s.event_id
       WHERE s.room_id = ? ORDER BY e.stream_pos`,
      [roomId],
    );
    return rows.map(toEvent);
  }

  async latestEvent(roomId: string) {
    const r = await this.db.get<Row>(`SELECT ${EVENT_COLS} FROM events WHERE room_id = ? ORDER BY stream_pos DESC LIMIT 1`, [roomId]);
    return r ? toEvent(r) : undefined;
  }

  async roomEvents(roomId: string, from: number, to: number, dir: 'f' | 'b', limit: number) {
    const order = dir === 'f' ? 'ASC' : 'DESC';
    const rows = await this.db.all<Row>(
      `SELECT ${EVENT_COLS} FROM events WHERE room_id = ? AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos ${order} LIMIT ?`,
      [roomId, from, to, limit],
    );
    return rows.map(toEvent);
  }

  async stateEventsBetween(roomId: string, from: number, to: number) {
    const rows = await this.db.all<Row>(
      `SELECT ${EVENT_COLS} FROM events WHERE room_id = ? AND state_key IS NOT NULL AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos`,
      [roomId, from, to],
    );
    return rows.map(toEvent);
  }

  async membershipsOfUser(userId: string) {
    return (await this.db.all<Row>('SELECT * FROM memberships WHERE user_id = ?', [userId])).map(toMembership);
  }

  async membership(roomId: string, userId: string) {
    const r = await this.db.get<Row>('SELECT * FROM memberships WHERE room_id = ? AND user_id = ?', [roomId, userId]);
    return r ? toMembership(r) : undefined;
  }

  async membersOfRoom(roomId: string) {
    return (await this.db.all<Row>('SELECT * FROM memberships WHERE room_id = ? ORDER BY user_id', [roomId])).map(toMembership);
  }

  async memberSummary(roomId: string, viewer: string, heroes: number) {
    const counts = await this.db.all<Row>(
      "SELECT membership, count(*) AS n FROM memberships WHERE room_id = ? AND membership IN ('join', 'invite') GROUP BY membership",
      [roomId],
    );
    const count = (m: string) => Number(counts.find((r) => r.membership === m)?.n ?? 0);
    const rows = await this.db.all<Row>(
      "SELECT user_id FROM memberships WHERE room_id = ? AND membership IN ('join', 'invite') AND user_id <> ? ORDER BY user_id LIMIT ?",
      [roomId, viewer, heroes],
    );
    return { joined: count('join'), invited: count('invite'), heroes: rows.map((r) => r.user_id as string) };
  }

  async allJoined() {
    const rows = await this.db.all<Row>("SELECT room_id, user_id FROM memberships WHERE membership = 'join'");
    return rows.map((r) => ({ roomId: r.room_id as string, userId: r.user_id as string }));
  }

  async setForgotten(roomId: string, userId: string) {
    await this.db.run('UPDATE memberships SET forgotten = 1 WHERE room_id = ? AND user_id = ?', [roomId, userId]);
  }

  async txnEvent(userId: string, deviceId: string, txnId: string) {
    const r = await this.db.get<Row>('SELECT event_id FROM txns WHERE user_id = ? AND device_id = ? AND txn_id = ?', [userId, deviceId, txnId]);
    return r?.event_id as string | undefined;
  }

  async roomsWithEventsBetween(roomIds: string[], from: number, to: number) {
    if (roomIds.length === 0 || from >= to) return [];
    const out: string[] = [];
    // Chunked so a user in thousands of rooms never builds one giant statement.
    for (let i = 0; i < roomIds.length; i += 500) {
      const chunk = roomIds.slice(i, i + 500);
      const rows = await this.db.all<Row>(
        `SELECT DISTINCT room_id FROM events WHERE stream_pos > ? AND stream_pos <= ? AND room_id IN (${placeholders(chunk.length)})`,
        [from, to, ...chunk],
      );
      for (const r of rows) out.push(r.room_id);
    }
    return out;
  }

  async countEventsAfter(roomId: string, after: number, notSender: string, types: string[], upTo?: number) {
    const bounded = upTo !== undefined;
    const r = await this.db.get<Row>(
      `SELECT COUNT(*) AS n FROM events WHERE room_id = ? AND stream_pos > ?${bounded ? ' AND stream_pos <= ?' : ''} AND sender <> ? AND type IN (${placeholders(types.length)})`,
      [roomId, after, ...(bounded ? [upTo] : []), notSender, ...types] as SqlValue[],
    );
    return Number(r?.n ?? 0);
  }

  async putAlias(alias: string, roomId: string, creator: string) {
    const r = await this.db.run('INSERT INTO room_aliases (alias, room_id, creator) VALUES (?, ?, ?) ON CONFLICT (alias) DO NOTHING', [alias, roomId, creator]);
    return r.changes === 1;
  }

  async getAlias(alias: string) {
    const r = await this.db.get<Row>('SELECT room_id, creator FROM room_aliases WHERE alias = ?', [alias]);
    return r ? { roomId: r.room_id as string, creator: r.creator as string } : undefined;
  }

  async deleteAlias(alias: string) {
    return (await this.db.run('DELETE FROM room_aliases WHERE alias = ?', [alias])).changes > 0;
  }

  async aliasesOfRoom(roomId: string) {
    return (await this.db.all<Row>('SELECT alias FROM room_aliases WHERE room_id = ? ORDER BY alias', [roomId])).map((r) => r.alias as string);
  }

  async putReceipt(r: Omit<ReceiptRow, 'streamPos'>) {
    return this.db.transaction(async (tx) => {
      const pos = await nextPosition(tx, 'receipts');
      await tx.run(
        `INSERT INTO receipts (room_id, user_id, receipt_type, thread_id, event_id, ts, stream_pos) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (room_id, user_id, receipt_type, thread_id) DO UPDATE SET event_id = excluded.event_id, ts = excluded.ts, stream_pos = excluded.stream_pos`,
        [r.roomId, r.userId, r.receiptType, r.threadId, r.eventId, r.ts, pos],
      );
      return pos;
    });
  }

  async receiptsBetween(roomIds: string[], from: number, to: number) {
    if (roomIds.length === 0) return [];
    const out: ReceiptRow[] = [];
    for (let i = 0; i < roomIds.length; i += 500) {
      const chunk = roomIds.slice(i, i + 500);
      const rows = await this.db.all<Row>(
        `SELECT * FROM receipts WHERE stream_pos > ? AND stream_pos <= ? AND room_id IN (${placeholders(chunk.length)})`,
        [from, to, ...chunk],
      );
      out.push(...rows.map(toReceipt));
    }
    return out;
  }

  async receiptsOfRoom(roomId: string) {
    return (await this.db.all<Row>('SELECT * FROM receipts WHERE room_id = ?', [roomId])).map(toReceipt);
  }

  async userReceipt(roomId: string, userId: string, receiptType: string) {
    const r = await this.db.get<Row>("SELECT * FROM receipts WHERE room_id = ? AND user_id = ? AND receipt_type = ? AND thread_id = ''", [roomId, userId, receiptType]);
    return r ? toReceipt(r) : undefined;
  }
}

const toReceipt = (r: Row): ReceiptRow => ({
  roomId: r.room_id,
  userId: r.user_id,
  receiptType: r.receipt_type,
  threadId: r.thread_id,
  eventId: r.event_id,
  ts: Number(r.ts),
  streamPos: Number(r.stream_pos),
});
