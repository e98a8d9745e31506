/** Contract: versioned migrations apply once, re-running is a no-op, a newer schema is refused. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MIGRATIONS, migrate } from '../../../src/storage/index.js';
import { T0, type GetContext } from './fixtures.js';

const LATEST = MIGRATIONS[MIGRATIONS.length - 1].version;

export function migrationContract(get: GetContext): void {
  describe('migrations', () => {
    test('each version is recorded once', async () => {
      const { db } = get();
      const rows = await db.all<{ version: number | string }>('SELECT version FROM schema_version ORDER BY version');
      assert.deepEqual(rows.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version));
    });

    test('re-running migrate is a no-op that keeps the data', async () => {
      const { db, users } = get();
      await users.createUser({ userId: '@kept:localhost', passwordHash: null, isAdmin: false, createdTs: T0 });
      const pos = await users.putAccountData('@kept:localhost', '', 'm.direct', {});
      assert.equal(await migrate(db), LATEST);
      assert.equal(await migrate(db), LATEST);
      const rows = await db.all<{ version: number | string }>('SELECT version FROM schema_version');
      assert.equal(rows.length, MIGRATIONS.length);
      assert.equal((await users.getUser('@kept:localhost'))?.userId, '@kept:localhost');
      assert.ok((await users.putAccountData('@kept:localhost', '', 'm.direct', { again: true })) > pos, 'positions were not reset');
    });

    test('a database from a newer presenced is refused, naming the versions', async () => {
      const { db } = get();
      await db.run('INSERT INTO schema_version (version) VALUES (?)', [LATEST + 1]);
      await assert.rejects(migrate(db), (e: Error) => e.message.includes(String(LATEST + 1)) && e.message.includes(String(LATEST)));
    });
  });
}
