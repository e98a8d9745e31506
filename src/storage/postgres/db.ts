import pg from 'pg';
import type { SqlDb, SqlExecutor, SqlValue } from '../sql.js';

/** `?` placeholders (the shared SQL's) to PostgreSQL's `$1, $2, …`. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Queryable = { query: (text: string, values?: unknown[]) => Promise<pg.QueryResult> };

function executor(q: Queryable): SqlExecutor {
  return {
    all: async <T>(sql: string, params: SqlValue[] = []) => (await q.query(toPgPlaceholders(sql), params)).rows as T[],
    get: async <T>(sql: string, params: SqlValue[] = []) => (await q.query(toPgPlaceholders(sql), params)).rows[0] as T | undefined,
    run: async (sql: string, params: SqlValue[] = []) => ({ changes: (await q.query(toPgPlaceholders(sql), params)).rowCount ?? 0 }),
  };
}

export interface PgOptions {
  url: string;
  schema: string;
  /** Connections in the pool. */
  max?: number;
  /** How long a query may wait for a connection before failing (so an outage answers 503, not a hang). */
  connectTimeoutMs?: number;
}

/** PostgreSQL behind the SqlDb surface: a pool, one schema, transactions on one pooled client. */
export class PgDb implements SqlDb {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly ex: SqlExecutor;

  constructor(private readonly opts: PgOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.max ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      options: `-c search_path=${opts.schema}`,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
    this.ex = executor(this.pool);
  }

  /** Creates the schema if needed; call once before migrating. */
  async init(): Promise<void> {
    const c = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: this.opts.connectTimeoutMs ?? 5000 });
    await c.connect();
    try {
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${this.opts.schema}"`);
    } finally {
      await c.end();
    }
  }

  all<T>(sql: string, params?: SqlValue[]) { return this.ex.all<T>(sql, params); }
  get<T>(sql: string, params?: SqlValue[]) { return this.ex.get<T>(sql, params); }
  run(sql: string, params?: SqlValue[]) { return this.ex.run(sql, params); }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const value = await fn(executor(client));
      await client.query('COMMIT');
      return value;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
