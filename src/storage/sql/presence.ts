import type { SqlDb } from '../sql.js';
import { currentPosition } from '../sql.js';
import type { PresenceStore } from '../../presence/store.js';
import type { StoredPresence } from '../../presence/stored.js';

type Row = Record<string, any>;

export class SqlPresenceStore implements PresenceStore {
  constructor(private readonly db: SqlDb) {}

  async loadPresence() {
    const rows = await this.db.all<Row>('SELECT user_id, state FROM presence');
    return rows.map((r) => ({ userId: r.user_id as string, state: JSON.parse(r.state) as unknown }));
  }

  async savePresence(rows: { userId: string; state: StoredPresence }[]) {
    if (rows.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const r of rows) {
        await tx.run(
          `INSERT INTO presence (user_id, state, stream_pos) VALUES (?, ?, 0)
           ON CONFLICT (user_id) DO UPDATE SET state = excluded.state`,
          [r.userId, JSON.stringify(r.state)],
        );
      }
    });
  }

  presenceMark() {
    return currentPosition(this.db, 'presence');
  }

  async setPresenceMark(mark: number) {
    await this.db.run('UPDATE stream_positions SET pos = ? WHERE stream = ? AND pos < ?', [mark, 'presence', mark]);
  }
}
