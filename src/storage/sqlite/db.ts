import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
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

/** Makes the write-ahead log durable; injectable so tests can watch and pace it. */
export type WalSync = () => Promise<void>;

export interface SqliteOptions {
  /** Replaces the fdatasync of the `-wal` file (tests). */
  walSync?: WalSync;
}

/**
 * better-sqlite3 behind the async SqlDb surface. Writes go through one connection, one
 * transaction at a time (a promise queue, since a transaction body may await); reads
 * outside a transaction use a second connection so they only see committed data (WAL).
 *
 * `synchronous: full` is kept by group commit rather than by SQLite's own fsync: SQLite
 * commits with synchronous=NORMAL (no fsync, which would block the event loop for every
 * write), and the transaction's promise resolves only after an fdatasync of the WAL file,
 * run on libuv's thread pool, that started after its COMMIT. Commits made while one sync
 * is running share the next one. Once the WAL holds the commit frame on disk, recovery
 * replays it, so an acknowledged write survives power loss as with SQLite's FULL; and
 * checkpoints under NORMAL sync the WAL before copying it back.
 */
export class SqliteDb implements SqlDb {
  readonly dialect = 'sqlite' as const;
  private readonly writer: Conn;
  private readonly reader: Conn;
  private readonly w: SqlExecutor;
  private readonly r: SqlExecutor;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set when commits must wait for the WAL to reach the disk (file databases, `full`). */
  private readonly walSync: WalSync | null;
  private walHandle: Promise<FileHandle> | null = null;
  private syncRunning: Promise<void> | null = null;
  private syncNext: Promise<void> | null = null;

  constructor(path: string, synchronous: 'full' | 'normal' = 'full', opts: SqliteOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.writer = new Database(path);
    this.writer.pragma('journal_mode = WAL');
    this.writer.pragma('synchronous = NORMAL');
    const grouped = synchronous === 'full' && path !== ':memory:';
    this.walSync = grouped ? (opts.walSync ?? (() => this.fdatasyncWal(`${path}-wal`))) : null;
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
    if (!this.walSync) return result;
    // The next transaction may start at once; only this caller waits for the disk.
    return result.then(async (value) => {
      await this.durable();
      return value;
    });
  }

  /** Resolves after a WAL sync that began after this call: the group commit. */
  private durable(): Promise<void> {
    if (!this.syncRunning) {
      this.syncRunning = this.walSync!().finally(() => {
        this.syncRunning = null;
      });
      return this.syncRunning;
    }
    // The running sync may have started before our COMMIT; everyone arriving now shares the next.
    this.syncNext ??= this.syncRunning.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.syncNext;
  }

  private startNext(): Promise<void> {
    this.syncNext = null;
    return this.durable();
  }

  private async fdatasyncWal(walPath: string): Promise<void> {
    // The WAL file exists from the first commit until the last connection closes, and is
    // reused (never unlinked) in between, so one handle serves the database's lifetime.
    this.walHandle ??= open(walPath, 'r');
    try {
      await (await this.walHandle).datasync();
    } catch (e) {
      this.walHandle = null;
      throw e;
    }
  }

  async exec(sql: string): Promise<void> {
    await this.transaction(async () => { this.writer.exec(sql); });
  }

  async close(): Promise<void> {
    await this.queue;
    await this.syncNext?.catch(() => undefined);
    await this.syncRunning?.catch(() => undefined);
    if (this.walHandle) await (await this.walHandle.catch(() => null))?.close();
    if (this.reader !== this.writer) this.reader.close();
    this.writer.close();
  }
}
