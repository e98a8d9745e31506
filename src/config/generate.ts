/** The commented config file `presenced generate-config` writes; every value shown is the default. */
export function generateConfigYaml(opts: { serverName?: string; dataDir?: string } = {}): string {
  return `# presenced configuration. Every key is optional; the values shown are the defaults.
# Durations take ms, s, m, h (e.g. 30s, 5m); sizes take K, M (e.g. 1M).

# The part after the colon in user IDs (@alice:${opts.serverName ?? 'localhost'}). Cannot change later.
server_name: ${opts.serverName ?? 'localhost'}

# Address and port of the HTTP listener.
bind: 127.0.0.1
port: 8008

# Connections the kernel holds before presenced accepts them; Linux caps it at
# net.core.somaxconn. A wave of clients reconnecting at once needs room here.
listen_backlog: 4096

# URL clients use to reach this server (defaults to http://<bind>:<port>).
# public_baseurl: https://matrix.example.org

# Where the signing key and the SQLite database live.
data_dir: ${opts.dataDir ?? './data'}

database:
  # sqlite (embedded, one process) or postgres (several instances).
  type: sqlite
  # path: ./data/presenced.db
  # full: every acknowledged write is fsynced; normal: survives a process crash, not a power loss.
  synchronous: full
  # For postgres:
  # type: postgres
  # url: postgres://user@127.0.0.1:5432/presenced
  # schema: public

# Open registration with m.login.dummy. auto = open only while bound to a loopback address.
registration: auto

# fatal, error, warn, info, debug, trace or silent.
log_level: info

limits:
  # Largest request body accepted; larger ones get 413 M_TOO_LARGE.
  max_body_size: 1M
  max_displayname_length: 256
  # Upper bound on the timeout a client may ask of /sync.
  max_sync_timeout: 5m

# Token buckets per user (per IP before login): per_second sustained, burst on top.
rate_limits:
  login: { per_second: 0.5, burst: 10 }
  register: { per_second: 0.5, burst: 20 }
  send: { per_second: 10, burst: 50 }
  presence: { per_second: 10, burst: 50 }

presence:
  enabled: true
  # A device with no activity for this long becomes unavailable.
  idle_timeout: 5m
  # A device whose last /sync ended this long ago, with no activity since, is offline.
  sync_online_timeout: 30s
  # currently_active stays true this long after the last activity.
  last_active_granularity: 60s
  # true: every /sync counts as activity (Synapse's behaviour); false: the spec's rule.
  sync_is_activity: false
  # Include offline users in initial syncs.
  include_offline_users_on_sync: false
  max_status_msg_length: 256

# Prometheus metrics at /metrics (docs/running.md#metrics). Without bind/port they are served
# on the main listener, to anyone who can reach it; set both for a separate, private listener.
metrics:
  enabled: true
  # bind: 127.0.0.1
  # port: 9108
`;
}
