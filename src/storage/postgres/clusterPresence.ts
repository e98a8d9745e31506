import type { SqlExecutor } from '../sql.js';
import { currentPosition, nextPosition } from '../sql.js';
import type { PgDb } from './db.js';
import type { ClusterPresenceStore, MutateOptions, Mutation, ClaimResult } from '../../presence/clusterStore.js';
import type { SyncPresence } from '../../presence/types.js';

type Row = Record<string, any>;

/** Row locks always go presence row first, then timers/syncs rows, so two instances never deadlock. */
export class PgClusterPresenceStore implements ClusterPresenceStore {
  constructor(private readonly db: PgDb) {}

  async mutate(userId: string, fn: (stored: unknown, claim: ClaimResult) => Mutation | null, opts: MutateOptions = {}) {
    return this.db.transaction(async (tx) => {
      await tx.run("INSERT INTO presence (user_id, state, stream_pos) VALUES (?, 'null', 0) ON CONFLICT (user_id) DO NOTHING", [userId]);
      const row = await tx.get<Row>('SELECT state FROM presence WHERE user_id = ? FOR UPDATE', [userId]);
      const claim: ClaimResult = { orphanSyncs: 0 };
      if (opts.claimTimerDueBy !== undefined) {
        const t = await tx.get<Row>('DELETE FROM presence_timers WHERE user_id = ? AND due_ts <= ? RETURNING user_id', [userId, opts.claimTimerDueBy]);
        if (!t) return { pos: null, applied: false };
      }
      if (opts.orphan) {
        const o = await tx.get<Row>(
          'DELETE FROM presence_syncs WHERE instance_id = ? AND user_id = ? AND device_id = ? AND set_presence = ? RETURNING n',
          [opts.orphan.instanceId, userId, opts.orphan.deviceId, opts.orphan.setPresence],
        );
        if (!o) return { pos: null, applied: false };
        claim.orphanSyncs = Number(o.n);
      }
      const m = fn(JSON.parse(String(row?.state ?? 'null')), claim);
      if (!m) return { pos: null, applied: false };
      const pos = m.allocate ? await nextPosition(tx, 'presence') : null;
      await tx.run(
        pos === null ? 'UPDATE presence SET state = ? WHERE user_id = ?' : 'UPDATE presence SET state = ?, stream_pos = ? WHERE user_id = ?',
        pos === null ? [JSON.stringify(m.state), userId] : [JSON.stringify(m.state), pos, userId],
      );
      if (m.wakeAt !== null) {
        await tx.run(
          `INSERT INTO presence_timers (user_id, due_ts) VALUES (?, ?)
           ON CONFLICT (user_id) DO UPDATE SET due_ts = LEAST(presence_timers.due_ts, excluded.due_ts)`,
          [userId, m.wakeAt],
        );
      }
      if (m.sync) await this.recordSync(tx, userId, m.sync.instanceId, m.sync.deviceId, m.sync.setPresence, m.sync.delta);
      return { pos, applied: true };
    });
  }

  private async recordSync(tx: SqlExecutor, userId: string, instanceId: string, deviceId: string, setPresence: SyncPresence, delta: 1 | -1) {
    await tx.run(
      `INSERT INTO presence_syncs (instance_id, user_id, device_id, set_presence, n) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (instance_id, user_id, device_id, set_presence) DO UPDATE SET n = presence_syncs.n + excluded.n`,
      [instanceId, userId, deviceId, setPresence, delta],
    );
    await tx.run('DELETE FROM presence_syncs WHERE instance_id = ? AND user_id = ? AND device_id = ? AND set_presence = ? AND n <= 0', [
      instanceId, userId, deviceId, setPresence,
    ]);
  }

  allocatePosition() {
    return this.db.transaction((tx) => nextPosition(tx, 'presence'));
  }

  highestPosition() {
    return currentPosition(this.db, 'presence');
  }

  async dueTimers(now: number, limit: number) {
    const rows = await this.db.all<Row>('SELECT user_id FROM presence_timers WHERE due_ts <= ? ORDER BY due_ts LIMIT ?', [now, limit]);
    return rows.map((r) => r.user_id as string);
  }

  async changedSince(pos: number) {
    const rows = await this.db.all<Row>('SELECT user_id, state, stream_pos FROM presence WHERE stream_pos > ? ORDER BY stream_pos', [pos]);
    return rows.map((r) => ({ userId: r.user_id as string, state: JSON.parse(r.state) as unknown, pos: Number(r.stream_pos) }));
  }

  async loadAll() {
    return this.changedSince(-1);
  }

  async heartbeat(instanceId: string, now: number) {
    await this.db.run(
      'INSERT INTO instances (instance_id, last_seen) VALUES (?, ?) ON CONFLICT (instance_id) DO UPDATE SET last_seen = excluded.last_seen',
      [instanceId, now],
    );
  }

  async orphanedSyncs(deadBefore: number) {
    const rows = await this.db.all<Row>(
      `SELECT s.instance_id, s.user_id, s.device_id, s.set_presence, s.n FROM presence_syncs s
       LEFT JOIN instances i ON i.instance_id = s.instance_id
       WHERE i.instance_id IS NULL OR i.last_seen < ? LIMIT 1000`,
      [deadBefore],
    );
    return rows.map((r) => ({
      instanceId: r.instance_id as string,
      userId: r.user_id as string,
      deviceId: r.device_id as string,
      setPresence: r.set_presence as SyncPresence,
      n: Number(r.n),
    }));
  }

  async forgetInstance(instanceId: string) {
    await this.db.run('DELETE FROM instances WHERE instance_id = ? AND NOT EXISTS (SELECT 1 FROM presence_syncs WHERE instance_id = ?)', [instanceId, instanceId]);
  }
}
