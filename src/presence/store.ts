import type { StoredPresence } from './stored.js';

/** What the presence service needs from storage. */
export interface PresenceStore {
  loadPresence(): Promise<{ userId: string; state: unknown }[]>;
  /** Writes several users' states in one transaction. */
  savePresence(rows: { userId: string; state: StoredPresence }[]): Promise<void>;
  /** The highest presence stream position ever handed out may not exceed this mark. */
  presenceMark(): Promise<number>;
  setPresenceMark(mark: number): Promise<void>;
}
