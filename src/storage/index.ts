import type { DatabaseConfig } from '../config/index.js';
import type { SqlDb } from './sql.js';
import { migrate } from './migrations.js';
import { SqliteDb } from './sqlite/db.js';
import { PgDb } from './postgres/db.js';
import { SqlUserStore } from './sql/users.js';
import { SqlRoomStore } from './sql/rooms.js';
import { SqlToDeviceStore } from './sql/toDevice.js';
import { SqlPresenceStore } from './sql/presence.js';

export type { SqlDb, SqlExecutor, SqlValue } from './sql.js';
export { MIGRATIONS, migrate } from './migrations.js';
export { SqliteDb } from './sqlite/db.js';
export { PgDb } from './postgres/db.js';

/** Every store the services use, over one database. */
export interface Storage {
  db: SqlDb;
  users: SqlUserStore;
  rooms: SqlRoomStore;
  toDevice: SqlToDeviceStore;
  presence: SqlPresenceStore;
  close(): Promise<void>;
}

export function storageOver(db: SqlDb): Storage {
  return {
    db,
    users: new SqlUserStore(db),
    rooms: new SqlRoomStore(db),
    toDevice: new SqlToDeviceStore(db),
    presence: new SqlPresenceStore(db),
    close: () => db.close(),
  };
}

export async function openStorage(cfg: DatabaseConfig): Promise<Storage> {
  if (cfg.type === 'postgres') {
    const db = new PgDb({ url: cfg.url, schema: cfg.schema });
    await db.init();
    await migrate(db);
    return storageOver(db);
  }
  const db = new SqliteDb(cfg.path, cfg.synchronous);
  await migrate(db);
  return storageOver(db);
}
