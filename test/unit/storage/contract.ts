/**
 * The storage contract: what every SqlDb backend must do for the shared SQL stores. Run it
 * once per backend (sqlite.test.ts, and a PostgreSQL SqlDb later) with an `open` that gives
 * a new, empty database on every call; the suite migrates it itself.
 *
 * Written for any dialect: no SQL of its own beyond the schema_version table migrate()
 * owns, ordering checks only on same-case ASCII (collations differ), numbers compared
 * after the stores' own conversion.
 */
import { afterEach, beforeEach, describe } from 'node:test';
import { migrate, type SqlDb } from '../../../src/storage/index.js';
import { SqlRoomStore } from '../../../src/storage/sql/rooms.js';
import { SqlToDeviceStore } from '../../../src/storage/sql/toDevice.js';
import { SqlUserStore } from '../../../src/storage/sql/users.js';
import { migrationContract } from './contract-migrations.js';
import { roomsContract } from './contract-rooms.js';
import { streamsContract } from './contract-streams.js';
import { usersContract } from './contract-users.js';
import type { StoreContext } from './fixtures.js';

export function runStorageContract(name: string, open: () => Promise<SqlDb>): void {
  describe(`storage contract: ${name}`, () => {
    let ctx: StoreContext | undefined;

    beforeEach(async () => {
      const db = await open();
      await migrate(db);
      ctx = { db, users: new SqlUserStore(db), rooms: new SqlRoomStore(db), toDevice: new SqlToDeviceStore(db) };
    });

    afterEach(async () => {
      await ctx?.db.close();
      ctx = undefined;
    });

    const get = (): StoreContext => {
      if (!ctx) throw new Error('storage contract: no database open');
      return ctx;
    };

    usersContract(get);
    roomsContract(get);
    streamsContract(get);
    migrationContract(get);
  });
}
