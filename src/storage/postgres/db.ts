import pg from 'pg';
import { MatrixError, storageUnavailable } from '../../common/errors.js';
import type { SqlDb, SqlExecutor, SqlValue } from '../sql.js';

/** `?` placeholders (the shared SQL's) to PostgreSQL's `$1, $2, …`. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Queryable = { query: (text: string, values?: unknown[]) => Promise<pg.QueryResult> };

// Connection exceptions (08…), the server stopping or refusing (57P…), sockets and pool timeouts.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03']);

/** True when the error says the database could not be reached, not that the query was wrong. */
export function isUnreachable(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  if (typeof err?.code === 'string' && (UNREACHABLE_CODES.has(err.code) || err.code.startsWith('08'))) return true;
  const msg = typeof err?.message === 'string' ? err.message : '';
  return /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection timeout|Client has encountered a connection error/i.test(msg);
}

/** Outages become the 503 clients retry on, instead of a 500. */
async function guarded<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw isUnreachable(e) ? storageUnavailable() : e;
  }
}

function executor(q: Queryable): SqlExecutor {
  const query = (sql: string, params: SqlValue[]) => guarded(q.query(toPgPlaceholders(sql), params));
  return {
    all: async <T>(sql: string, params: SqlValue[] = []) => (await query(sql, params)).rows as T[],
    get: async <T>(sql: string, params: SqlValue[] = []) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params: SqlValue[] = []) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
  };
}

export interface PgOptions {
  url: string;
  schema: string;
  /** Connections in the pool. */
  max?: number;
  /** How long a query may wait for a connection before failing (so an outage answers 503, not a hang). */
  connectTimeoutMs?: number;
  /** How long one query may go unanswered before it fails. */
  queryTimeoutMs?: number;
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
      // A connection that stops answering (a network cut) fails its query instead of hanging it.
      query_timeout: opts.queryTimeoutMs ?? 30_000,
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
    } catch (e) {
      // Two instances creating the schema at the same moment: the loser finds it there.
      if ((e as { code?: string }).code !== '23505') throw e;
    } finally {
      await c.end();
    }
  }

  all<T>(sql: string, params?: SqlValue[]) { return this.ex.all<T>(sql, params); }
  get<T>(sql: string, params?: SqlValue[]) { return this.ex.get<T>(sql, params); }
  run(sql: string, params?: SqlValue[]) { return this.ex.run(sql, params); }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await guarded(this.pool.connect());
    let broken = false;
    // A checked-out client has no pool listener: a lost connection must fail this transaction, not the process.
    const onLost = () => {
      broken = true;
    };
    client.on('error', onLost);
    try {
      await guarded(client.query('BEGIN'));
      const value = await fn(executor(client));
      await guarded(client.query('COMMIT'));
      return value;
    } catch (e) {
      broken ||= isUnreachable(e) || (e instanceof MatrixError && e.status === 503);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.off('error', onLost);
      // A client whose connection failed is destroyed, not handed to the next query.
      client.release(broken);
    }
  }

  async exec(sql: string): Promise<void> {
    await guarded(this.pool.query(sql));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
