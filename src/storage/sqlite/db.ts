import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDb, SqlExecutor, SqlValue } from '../sql.js';

type Conn = Database.Database;

function executor(conn: Conn): SqlExecutor {
  const cache = new Map<string, Database.Statement>();
  const prep = (sql: string) => {
    let st = cache.get(sql);
    if (!st) {
      st = conn.prepare(sql);
      cache.set(sql, st);
    }
    return st;
  };
  return {
    all: async <T>(sql: string, params: SqlValue[] = []) => prep(sql).all(...params) as T[],
    get: async <T>(sql: string, params: SqlValue[] = []) => prep(sql).get(...params) as T | undefined,
    run: async (sql: string, params: SqlValue[] = []) => {
      const st = prep(sql);
      // RETURNING statements report rows, not changes; run them as reads.
      if (st.reader) return { changes: st.all(...params).length };
      return { changes: st.run(...params).changes };
    },
  };
}

/**
 * better-sqlite3 behind the async SqlDb surface. Writes go through one connection, one
 * transaction at a time (a promise queue, since a transaction body may await); reads
 * outside a transaction use a second connection so they only see committed data (WAL).
 */
export class SqliteDb implements SqlDb {
  readonly dialect = 'sqlite' as const;
  private readonly writer: Conn;
  private readonly reader: Conn;
  private readonly w: SqlExecutor;
  private readonly r: SqlExecutor;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(path: string, synchronous: 'full' | 'normal' = 'full') {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.writer = new Database(path);
    this.writer.pragma('journal_mode = WAL');
    this.writer.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.writer.pragma('busy_timeout = 5000');
    this.writer.pragma('foreign_keys = ON');
    // An in-memory database is private to its connection, so reads share the writer.
    this.reader = path === ':memory:' ? this.writer : new Database(path, { readonly: false });
    if (this.reader !== this.writer) this.reader.pragma('busy_timeout = 5000');
    this.w = executor(this.writer);
    this.r = this.reader === this.writer ? this.w : executor(this.reader);
  }

  all<T>(sql: string, params?: SqlValue[]) { return this.r.all<T>(sql, params); }
  get<T>(sql: string, params?: SqlValue[]) { return this.r.get<T>(sql, params); }
  run(sql: string, params?: SqlValue[]) { return this.transaction((tx) => tx.run(sql, params)); }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      this.writer.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn(this.w);
        this.writer.exec('COMMIT');
        return value;
      } catch (e) {
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
        throw e;
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  async exec(sql: string): Promise<void> {
    await this.transaction(async () => { this.writer.exec(sql); });
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.reader !== this.writer) this.reader.close();
    this.writer.close();
  }
}
