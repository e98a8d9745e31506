import type { SqlDb } from '../sql.js';
import { currentPosition, nextPosition } from '../sql.js';
import type { StreamPositionReader, ToDeviceStore } from '../../sync/store.js';

type Row = Record<string, any>;

export class SqlToDeviceStore implements ToDeviceStore, StreamPositionReader {
  constructor(private readonly db: SqlDb) {}

  async addToDevice(sender: string, type: string, targets: { userId: string; deviceId: string; content: Record<string, unknown> }[]) {
    return this.db.transaction(async (tx) => {
      let pos = 0;
      for (const t of targets) {
        pos = await nextPosition(tx, 'toDevice');
        await tx.run('INSERT INTO to_device (stream_pos, user_id, device_id, sender, type, content) VALUES (?, ?, ?, ?, ?, ?)', [
          pos, t.userId, t.deviceId, sender, type, JSON.stringify(t.content),
        ]);
      }
      return pos;
    });
  }

  async toDeviceBetween(userId: string, deviceId: string, from: number, to: number, limit: number) {
    const rows = await this.db.all<Row>(
      'SELECT * FROM to_device WHERE user_id = ? AND device_id = ? AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos LIMIT ?',
      [userId, deviceId, from, to, limit],
    );
    return rows.map((r) => ({ streamPos: Number(r.stream_pos), sender: r.sender, type: r.type, content: JSON.parse(r.content) }));
  }

  async deleteToDeviceUpTo(userId: string, deviceId: string, pos: number) {
    await this.db.run('DELETE FROM to_device WHERE user_id = ? AND device_id = ? AND stream_pos <= ?', [userId, deviceId, pos]);
  }

  currentPosition(stream: string) {
    return currentPosition(this.db, stream);
  }
}
