/** The storage contract against SQLite: a file database (two connections, WAL) and :memory:. */
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDb } from '../../../src/storage/index.js';
import { runStorageContract } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'presenced-storage-'));
let n = 0;

after(() => rmSync(dir, { recursive: true, force: true }));

runStorageContract('sqlite file', async () => new SqliteDb(join(dir, `db${++n}.sqlite`)));
runStorageContract('sqlite :memory:', async () => new SqliteDb(':memory:'));
