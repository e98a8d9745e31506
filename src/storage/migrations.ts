import type { SqlDb, SqlExecutor } from './sql.js';

/**
 * Versioned schema, shared by SQLite and PostgreSQL: only portable types (TEXT, BIGINT,
 * INTEGER) so one list serves both. Append new versions; never edit an applied one.
 */
export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE stream_positions (stream TEXT PRIMARY KEY, pos BIGINT NOT NULL);
INSERT INTO stream_positions (stream, pos) VALUES
  ('rooms', 0), ('presence', 0), ('receipts', 0), ('accountData', 0), ('toDevice', 0), ('deviceLists', 0);

CREATE TABLE users (
  user_id TEXT PRIMARY KEY,
  password_hash TEXT,
  is_admin INTEGER NOT NULL DEFAULT 0,
  deactivated INTEGER NOT NULL DEFAULT 0,
  displayname TEXT,
  avatar_url TEXT,
  created_ts BIGINT NOT NULL
);
CREATE TABLE devices (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  display_name TEXT,
  last_seen_ts BIGINT,
  last_seen_ip TEXT,
  created_ts BIGINT NOT NULL,
  PRIMARY KEY (user_id, device_id)
);
CREATE TABLE access_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  created_ts BIGINT NOT NULL
);
CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id);
CREATE TABLE filters (
  user_id TEXT NOT NULL,
  filter_id BIGINT NOT NULL,
  filter_json TEXT NOT NULL,
  PRIMARY KEY (user_id, filter_id)
);
CREATE TABLE account_data (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  data_type TEXT NOT NULL,
  content TEXT NOT NULL,
  stream_pos BIGINT NOT NULL,
  PRIMARY KEY (user_id, room_id, data_type)
);
CREATE INDEX account_data_stream ON account_data (user_id, stream_pos);
CREATE TABLE push_rules (user_id TEXT PRIMARY KEY, doc TEXT NOT NULL);

CREATE TABLE rooms (
  room_id TEXT PRIMARY KEY,
  room_version TEXT NOT NULL,
  creator TEXT NOT NULL,
  is_public INTEGER NOT NULL DEFAULT 0,
  created_ts BIGINT NOT NULL
);
CREATE TABLE events (
  stream_pos BIGINT PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state_key TEXT,
  sender TEXT NOT NULL,
  depth BIGINT NOT NULL,
  origin_server_ts BIGINT NOT NULL,
  replaces_state TEXT,
  redacted_by TEXT,
  txn_device TEXT,
  txn_id TEXT,
  json TEXT NOT NULL
);
CREATE INDEX events_room ON events (room_id, stream_pos);
CREATE TABLE room_state (
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state_key TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (room_id, type, state_key)
);
CREATE TABLE memberships (
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  membership TEXT NOT NULL,
  event_id TEXT NOT NULL,
  stream_pos BIGINT NOT NULL,
  forgotten INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id, membership);
CREATE TABLE room_aliases (alias TEXT PRIMARY KEY, room_id TEXT NOT NULL, creator TEXT NOT NULL);
CREATE INDEX room_aliases_room ON room_aliases (room_id);
CREATE TABLE txns (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_ts BIGINT NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id)
);
CREATE TABLE receipts (
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  receipt_type TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  ts BIGINT NOT NULL,
  stream_pos BIGINT NOT NULL,
  PRIMARY KEY (room_id, user_id, receipt_type, thread_id)
);
CREATE INDEX receipts_stream ON receipts (room_id, stream_pos);
CREATE TABLE to_device (
  stream_pos BIGINT PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  type TEXT NOT NULL,
  content TEXT NOT NULL
);
CREATE INDEX to_device_target ON to_device (user_id, device_id, stream_pos);
CREATE TABLE presence (
  user_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  stream_pos BIGINT NOT NULL
);
CREATE INDEX presence_stream ON presence (stream_pos);
`,
  },
  {
    // Cluster presence (several instances on PostgreSQL): shared timers, syncs in flight per
    // instance, and instance heartbeats. Unused by a single SQLite instance.
    version: 2,
    sql: `
CREATE TABLE presence_timers (user_id TEXT PRIMARY KEY, due_ts BIGINT NOT NULL);
CREATE INDEX presence_timers_due ON presence_timers (due_ts);
CREATE TABLE presence_syncs (
  instance_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  set_presence TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (instance_id, user_id, device_id, set_presence)
);
CREATE TABLE instances (instance_id TEXT PRIMARY KEY, last_seen BIGINT NOT NULL);
`,
  },
  {
    // Room summaries count joined and invited members and pick heroes by user ID: an index
    // range each, instead of reading a large room's every membership row on every sync.
    version: 3,
    sql: `
CREATE INDEX memberships_room_state ON memberships (room_id, membership, user_id);
`,
  },
];

// Any fixed number: instances starting together take turns on it to migrate one schema.
const MIGRATION_LOCK = 7_265_330;

/**
 * Applies pending migrations in order. SQLite: each in its own transaction. PostgreSQL:
 * all in one transaction under an advisory lock, so instances starting at once migrate
 * the shared schema exactly once (the others find it done).
 */
export async function migrate(db: SqlDb): Promise<number> {
  if (db.dialect === 'postgres') {
    return db.transaction(async (tx) => {
      await tx.get('SELECT pg_advisory_xact_lock(?) AS locked', [MIGRATION_LOCK]);
      return applyPending(tx, (fn) => fn(tx));
    });
  }
  return applyPending(db, (fn) => db.transaction(fn));
}

async function applyPending(db: SqlExecutor, inTransaction: (fn: (tx: SqlExecutor) => Promise<void>) => Promise<void>): Promise<number> {
  await db.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
  const current = Number(row?.v ?? 0);
  const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this presenced (${latest}); upgrade presenced`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await inTransaction(async (tx) => {
      for (const stmt of splitStatements(m.sql)) await tx.run(stmt);
      await tx.run('INSERT INTO schema_version (version) VALUES (?)', [m.version]);
    });
  }
  return latest;
}

function splitStatements(sql: string): string[] {
  return sql.split(/;\s*\n/).map((s) => s.trim().replace(/;$/, '')).filter((s) => s.length > 0);
}
