import type { SqlDb } from '../sql.js';
import { nextPosition } from '../sql.js';
import type {
  AccountDataRow, AccountDataStore, DeviceRow, DeviceStore, FilterStore, PushRuleStore, UserRow, UserStore,
} from '../../users/store.js';

type Row = Record<string, any>;

const toUser = (r: Row): UserRow => ({
  userId: r.user_id,
  passwordHash: r.password_hash ?? null,
  isAdmin: Number(r.is_admin) === 1,
  deactivated: Number(r.deactivated) === 1,
  displayname: r.displayname ?? null,
  avatarUrl: r.avatar_url ?? null,
  createdTs: Number(r.created_ts),
});

const toDevice = (r: Row): DeviceRow => ({
  userId: r.user_id,
  deviceId: r.device_id,
  displayName: r.display_name ?? null,
  lastSeenTs: r.last_seen_ts === null ? null : Number(r.last_seen_ts),
  lastSeenIp: r.last_seen_ip ?? null,
});

export class SqlUserStore implements UserStore, DeviceStore, FilterStore, AccountDataStore, PushRuleStore {
  constructor(private readonly db: SqlDb) {}

  async createUser(u: { userId: string; passwordHash: string | null; isAdmin: boolean; createdTs: number }) {
    const res = await this.db.run(
      'INSERT INTO users (user_id, password_hash, is_admin, created_ts) VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING',
      [u.userId, u.passwordHash, u.isAdmin ? 1 : 0, u.createdTs],
    );
    return res.changes === 1;
  }

  async getUser(userId: string) {
    const r = await this.db.get<Row>('SELECT * FROM users WHERE user_id = ?', [userId]);
    return r ? toUser(r) : undefined;
  }

  async setPasswordHash(userId: string, hash: string | null) {
    await this.db.run('UPDATE users SET password_hash = ? WHERE user_id = ?', [hash, userId]);
  }

  async setDeactivated(userId: string) {
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE users SET deactivated = 1, password_hash = NULL WHERE user_id = ?', [userId]);
      await tx.run('DELETE FROM access_tokens WHERE user_id = ?', [userId]);
      await tx.run('DELETE FROM devices WHERE user_id = ?', [userId]);
    });
  }

  async setProfile(userId: string, f: { displayname?: string | null; avatarUrl?: string | null }) {
    if (f.displayname !== undefined) await this.db.run('UPDATE users SET displayname = ? WHERE user_id = ?', [f.displayname, userId]);
    if (f.avatarUrl !== undefined) await this.db.run('UPDATE users SET avatar_url = ? WHERE user_id = ?', [f.avatarUrl, userId]);
  }

  async listUsers(after: string, limit: number) {
    const rows = await this.db.all<Row>('SELECT * FROM users WHERE user_id > ? ORDER BY user_id LIMIT ?', [after, limit]);
    return rows.map(toUser);
  }

  async upsertDevice(userId: string, deviceId: string, displayName: string | null, ts: number) {
    await this.db.run(
      `INSERT INTO devices (user_id, device_id, display_name, created_ts, last_seen_ts) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET display_name = COALESCE(excluded.display_name, devices.display_name)`,
      [userId, deviceId, displayName, ts, ts],
    );
  }

  async getDevice(userId: string, deviceId: string) {
    const r = await this.db.get<Row>('SELECT * FROM devices WHERE user_id = ? AND device_id = ?', [userId, deviceId]);
    return r ? toDevice(r) : undefined;
  }

  async listDevices(userId: string) {
    return (await this.db.all<Row>('SELECT * FROM devices WHERE user_id = ? ORDER BY device_id', [userId])).map(toDevice);
  }

  async setDeviceName(userId: string, deviceId: string, name: string | null) {
    const r = await this.db.run('UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?', [name, userId, deviceId]);
    return r.changes > 0;
  }

  async deleteDevice(userId: string, deviceId: string) {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?', [userId, deviceId]);
      await tx.run('DELETE FROM devices WHERE user_id = ? AND device_id = ?', [userId, deviceId]);
      await tx.run('DELETE FROM to_device WHERE user_id = ? AND device_id = ?', [userId, deviceId]);
    });
  }

  async touchDevice(userId: string, deviceId: string, ts: number, ip: string | null) {
    await this.db.run('UPDATE devices SET last_seen_ts = ?, last_seen_ip = ? WHERE user_id = ? AND device_id = ?', [ts, ip, userId, deviceId]);
  }

  async createToken(tokenHash: string, userId: string, deviceId: string, ts: number) {
    await this.db.run('INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts) VALUES (?, ?, ?, ?)', [tokenHash, userId, deviceId, ts]);
  }

  async lookupToken(tokenHash: string) {
    const r = await this.db.get<Row>('SELECT user_id, device_id FROM access_tokens WHERE token_hash = ?', [tokenHash]);
    return r ? { userId: r.user_id as string, deviceId: r.device_id as string } : undefined;
  }

  async deleteToken(tokenHash: string) {
    await this.db.run('DELETE FROM access_tokens WHERE token_hash = ?', [tokenHash]);
  }

  async createFilter(userId: string, json: string) {
    return this.db.transaction(async (tx) => {
      const r = await tx.get<Row>('SELECT COALESCE(MAX(filter_id), -1) + 1 AS id FROM filters WHERE user_id = ?', [userId]);
      const id = Number(r?.id ?? 0);
      await tx.run('INSERT INTO filters (user_id, filter_id, filter_json) VALUES (?, ?, ?)', [userId, id, json]);
      return id;
    });
  }

  async getFilter(userId: string, filterId: number) {
    const r = await this.db.get<Row>('SELECT filter_json FROM filters WHERE user_id = ? AND filter_id = ?', [userId, filterId]);
    return r?.filter_json as string | undefined;
  }

  async putAccountData(userId: string, roomId: string, type: string, content: Record<string, unknown>) {
    return this.db.transaction(async (tx) => {
      const pos = await nextPosition(tx, 'accountData');
      await tx.run(
        `INSERT INTO account_data (user_id, room_id, data_type, content, stream_pos) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_id, room_id, data_type) DO UPDATE SET content = excluded.content, stream_pos = excluded.stream_pos`,
        [userId, roomId, type, JSON.stringify(content), pos],
      );
      return pos;
    });
  }

  async getAccountData(userId: string, roomId: string, type: string) {
    const r = await this.db.get<Row>('SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND data_type = ?', [userId, roomId, type]);
    return r ? (JSON.parse(r.content) as Record<string, unknown>) : undefined;
  }

  async accountDataSince(userId: string, from: number, to: number): Promise<AccountDataRow[]> {
    const rows = await this.db.all<Row>(
      'SELECT room_id, data_type, content, stream_pos FROM account_data WHERE user_id = ? AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos',
      [userId, from, to],
    );
    return rows.map((r) => ({ roomId: r.room_id, type: r.data_type, content: JSON.parse(r.content), streamPos: Number(r.stream_pos) }));
  }

  async getPushRules(userId: string) {
    const r = await this.db.get<Row>('SELECT doc FROM push_rules WHERE user_id = ?', [userId]);
    return r ? (JSON.parse(r.doc) as unknown) : undefined;
  }

  async putPushRules(userId: string, doc: unknown) {
    await this.db.run(
      'INSERT INTO push_rules (user_id, doc) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET doc = excluded.doc',
      [userId, JSON.stringify(doc)],
    );
  }
}
