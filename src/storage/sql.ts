/**
 * The narrow SQL surface every store is written against, so that one set of queries
 * (with `?` placeholders) serves SQLite and PostgreSQL alike.
 */
export type SqlValue = string | number | null;

export interface SqlExecutor {
  all<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: SqlValue[]): Promise<{ changes: number }>;
}

export interface SqlDb extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs fn in one transaction; it commits when fn resolves and rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs DDL text containing several statements. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Stream positions come from one row per stream, bumped inside the writer's transaction. */
export async function nextPosition(tx: SqlExecutor, stream: string): Promise<number> {
  const row = await tx.get<{ pos: number | string }>(
    'UPDATE stream_positions SET pos = pos + 1 WHERE stream = ? RETURNING pos',
    [stream],
  );
  if (!row) throw new Error(`unknown stream ${stream}`);
  return Number(row.pos);
}

export async function currentPosition(db: SqlExecutor, stream: string): Promise<number> {
  const row = await db.get<{ pos: number | string }>('SELECT pos FROM stream_positions WHERE stream = ?', [stream]);
  return row ? Number(row.pos) : 0;
}
