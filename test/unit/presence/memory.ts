/** In-memory collaborators for PresenceService tests that run without storage or HTTP. */
import type { Waker } from '../../../src/presence/service.js';
import type { PresenceStore } from '../../../src/presence/store.js';
import type { StoredPresence } from '../../../src/presence/stored.js';

export class MemoryPresenceStore implements PresenceStore {
  readonly rows = new Map<string, StoredPresence>();
  mark = 0;
  saves = 0;
  async loadPresence() {
    return [...this.rows].map(([userId, state]) => ({ userId, state: state as unknown }));
  }
  async savePresence(rows: { userId: string; state: StoredPresence }[]) {
    this.saves++;
    for (const r of rows) this.rows.set(r.userId, r.state);
  }
  async presenceMark() {
    return this.mark;
  }
  async setPresenceMark(mark: number) {
    this.mark = mark;
  }
}

export class RecordingWaker implements Waker {
  readonly woken = new Set<string>();
  wakeAll(users: Iterable<string>): void {
    for (const u of users) this.woken.add(u);
  }
}
