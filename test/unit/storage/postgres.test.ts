/**
 * The storage contract against PostgreSQL, when PRESENCED_TEST_DATABASE_URL names a server
 * (e.g. postgres://postgres@127.0.0.1:5432/postgres). Every open() gets its own schema;
 * all of them are dropped at the end. Without the variable the suite is skipped, except
 * under CI=true, where a PostgreSQL suite that did not run is a failure.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { PgDb } from '../../../src/storage/index.js';
import { runStorageContract } from './contract.js';

const url = process.env.PRESENCED_TEST_DATABASE_URL;

if (!url && process.env.CI === 'true') {
  test('storage contract: postgres', () => {
    assert.fail('CI=true but PRESENCED_TEST_DATABASE_URL is unset: the PostgreSQL suite must run in CI');
  });
} else if (!url) {
  test('storage contract: postgres', { skip: 'set PRESENCED_TEST_DATABASE_URL to run it' }, () => {});
} else {
  const schemas: string[] = [];
  let n = 0;

  after(async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    } finally {
      await c.end();
    }
  });

  runStorageContract('postgres', async () => {
    const schema = `contract_${process.pid}_${++n}`;
    schemas.push(schema);
    const db = new PgDb({ url, schema, max: 4 });
    await db.init();
    return db;
  });
}
