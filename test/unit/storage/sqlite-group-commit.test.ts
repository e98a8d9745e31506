/**
 * `synchronous: full` through group commit: a write's promise resolves only after a WAL
 * sync that started after its COMMIT, and writes that commit during one sync share the next.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDb } from '../../../src/storage/index.js';

const dir = mkdtempSync(join(tmpdir(), 'presenced-group-commit-'));
let n = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

/** A WAL sync the test completes by hand, recording how many rows were committed when each began. */
function manualSync(ref: { db?: SqliteDb }) {
  const syncs: { rowsAtStart: number; finish: () => void }[] = [];
  const walSync = async () => {
    // The table's own CREATE is synced before the database is handed out: let it through.
    if (!ref.db) return;
    const rowsAtStart = Number((await ref.db.get<{ c: number }>('SELECT count(*) AS c FROM t'))!.c);
    await new Promise<void>((finish) => syncs.push({ rowsAtStart, finish }));
  };
  return { syncs, walSync };
}

const tick = () => new Promise((r) => setImmediate(r));

async function openDb(walSync?: () => Promise<void>, synchronous: 'full' | 'normal' = 'full') {
  const db = new SqliteDb(join(dir, `db${++n}.sqlite`), synchronous, walSync ? { walSync } : {});
  await db.exec('CREATE TABLE IF NOT EXISTS t (v INTEGER)');
  return db;
}

describe('SQLite group commit', () => {
  test('an acknowledged write waits for a WAL sync that began after its commit', async () => {
    const ref: { db?: SqliteDb } = {};
    const m = manualSync(ref);
    const db = (ref.db = await openDb(m.walSync));
    let done = false;
    const w = db.run('INSERT INTO t (v) VALUES (1)').then(() => (done = true));
    for (let i = 0; i < 5 && m.syncs.length === 0; i++) await tick();
    assert.equal(m.syncs.length, 1);
    assert.equal(m.syncs[0].rowsAtStart, 1, 'the sync began after the row was committed');
    await tick();
    assert.equal(done, false, 'not acknowledged before the sync finished');
    m.syncs[0].finish();
    await w;
    assert.equal(done, true);
    await db.close();
  });

  test('writes committed while a sync runs share the next sync, which covers them all', async () => {
    const ref: { db?: SqliteDb } = {};
    const m = manualSync(ref);
    const db = (ref.db = await openDb(m.walSync));
    const first = db.run('INSERT INTO t (v) VALUES (1)');
    for (let i = 0; i < 5 && m.syncs.length === 0; i++) await tick();
    const acked: number[] = [];
    const rest = [2, 3, 4].map((v) => db.run('INSERT INTO t (v) VALUES (?)', [v]).then(() => acked.push(v)));
    for (let i = 0; i < 10; i++) await tick();
    assert.equal(m.syncs.length, 1, 'no second sync while the first runs');
    m.syncs[0].finish();
    await first;
    for (let i = 0; i < 10 && m.syncs.length < 2; i++) await tick();
    assert.equal(m.syncs.length, 2);
    assert.equal(m.syncs[1].rowsAtStart, 4, 'the shared sync began after all three commits');
    assert.deepEqual(acked, [], 'the three wait for it');
    m.syncs[1].finish();
    await Promise.all(rest);
    assert.deepEqual(acked.sort(), [2, 3, 4]);
    assert.equal(m.syncs.length, 2, 'four writes, two syncs');
    await db.close();
  });

  test('a failed WAL sync fails the writes that waited on it', async () => {
    let fail = false;
    const db = await openDb(async () => {
      if (fail) throw new Error('EIO');
    });
    fail = true;
    await assert.rejects(db.run('INSERT INTO t (v) VALUES (1)'), /EIO/);
    fail = false;
    await db.run('INSERT INTO t (v) VALUES (2)');
    await db.close();
  });

  test('synchronous: normal acknowledges without waiting for a sync', async () => {
    let calls = 0;
    const db = await openDb(async () => {
      calls++;
    }, 'normal');
    await db.run('INSERT INTO t (v) VALUES (1)');
    assert.equal(calls, 0);
    await db.close();
  });

  test('the real fdatasync of the WAL file runs and the data is there after reopening', async () => {
    const path = join(dir, 'real.sqlite');
    const db = new SqliteDb(path);
    await db.exec('CREATE TABLE t (v INTEGER)');
    await Promise.all([1, 2, 3].map((v) => db.run('INSERT INTO t (v) VALUES (?)', [v])));
    await db.close();
    const again = new SqliteDb(path);
    assert.equal(Number((await again.get<{ c: number }>('SELECT count(*) AS c FROM t'))!.c), 3);
    await again.close();
  });
});
