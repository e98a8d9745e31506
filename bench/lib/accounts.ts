/**
 * Bench accounts: registered in parallel with bounded concurrency, stored under bench/out/
 * per target so that `--reuse` skips the slow part of a large run (registration and rooms).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forEachLimit, type Account, type Homeserver } from './hs.js';
import { newRunId } from './tags.js';

interface StoredFile {
  version: 1;
  origin: string;
  users: Account[];
  /** Rooms created for a scenario, by key (e.g. `population:2000:1`), in creation order. */
  rooms: Record<string, string[]>;
}

export function accountsPath(outDir: string, origin: string): string {
  const u = new URL(origin);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return join(outDir, `accounts-${u.hostname.replace(/[^a-zA-Z0-9.-]/g, '_')}-${port}.json`);
}

export class AccountStore {
  private data: StoredFile;

  constructor(readonly path: string, readonly origin: string, private readonly persist = true) {
    this.data = { version: 1, origin, users: [], rooms: {} };
  }

  /** Loads the stored file if it exists and belongs to this origin. */
  load(): boolean {
    if (!existsSync(this.path)) return false;
    try {
      const d = JSON.parse(readFileSync(this.path, 'utf8')) as StoredFile;
      if (d.version !== 1 || d.origin !== this.origin || !Array.isArray(d.users)) return false;
      this.data = { ...d, rooms: d.rooms ?? {} };
      return true;
    } catch {
      return false;
    }
  }

  reset(): void {
    this.data = { version: 1, origin: this.origin, users: [], rooms: {} };
  }

  get users(): readonly Account[] {
    return this.data.users;
  }

  add(acc: Account): void {
    this.data.users.push(acc);
  }

  rooms(key: string): string[] | undefined {
    return this.data.rooms[key];
  }

  setRooms(key: string, ids: string[]): void {
    this.data.rooms[key] = ids;
  }

  save(): void {
    if (!this.persist) return;
    mkdirSync(join(this.path, '..'), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

export interface EnsureOptions {
  reuse: boolean;
  outDir: string;
  concurrency: number;
  log: (msg: string) => void;
  /** false: nothing is written (a throwaway server such as the floor). */
  persist?: boolean;
}

/**
 * Returns n working accounts. With reuse, the stored ones come first (checked with whoami
 * on the first; a server that lost its database invalidates them all) and only the
 * shortfall is registered.
 */
export async function ensureAccounts(hs: Homeserver, n: number, o: EnsureOptions): Promise<{ accounts: Account[]; store: AccountStore; registered: number }> {
  const path = accountsPath(o.outDir, hs.origin);
  let store = new AccountStore(path, hs.origin, o.persist ?? true);
  const loaded = store.load();
  if (o.reuse && loaded && store.users.length > 0) {
    if ((await hs.whoamiStatus(store.users[0])) !== 200) {
      o.log(`stored accounts in ${store.path} are not valid on this server; registering new ones`);
      store.reset();
    }
  } else {
    // A small run without --reuse must not throw away a large stored population.
    if (loaded && store.users.length > n && (o.persist ?? true) && (await hs.whoamiStatus(store.users[0])) === 200) {
      o.log(`keeping ${store.path} (${store.users.length} accounts); this run's accounts are not stored`);
      store = new AccountStore(path, hs.origin, false);
    }
    store.reset();
  }
  const have = store.users.length;
  const missing = Math.max(0, n - have);
  if (missing > 0) {
    const prefix = `bench${newRunId()}_`;
    const password = `pw-${newRunId()}${newRunId()}`;
    const fresh: Account[] = new Array<Account>(missing);
    let done = 0;
    const t0 = Date.now();
    await forEachLimit(missing, o.concurrency, async (i) => {
      fresh[i] = await hs.register(`${prefix}${i}`, password);
      if (++done % 1000 === 0) o.log(`registered ${done}/${missing} (${Math.round(done / ((Date.now() - t0) / 1000))}/s)`);
    });
    for (const a of fresh) store.add(a);
    store.save();
  }
  return { accounts: store.users.slice(0, n), store, registered: missing };
}
