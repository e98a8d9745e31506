import type { PresenceConfig } from '../config/index.js';
import type { ChangeLog } from './changeLog.js';
import type { Inboxes } from './inbox.js';
import type { Visibility } from './visibility.js';
import type { PresenceInput, UserPresence } from './types.js';

/**
 * What the rest of the server uses of presence, whether one process owns it
 * (PresenceService) or several instances share it (ClusterPresenceService).
 */
export interface Presence {
  readonly cfg: PresenceConfig;
  readonly enabled: boolean;
  load(): Promise<void>;
  /** Feeds an input; its durable effect may be written a little later. */
  apply(userId: string, input: PresenceInput): void;
  /** Feeds an input and resolves once its effect is durable. */
  applyDurable(userId: string, input: PresenceInput): Promise<void>;
  profileChanged(userId: string): void;
  joined(roomId: string, userId: string): void;
  stateOf(userId: string): UserPresence | undefined;
  /** Who may see whose presence. */
  readonly visibility: Visibility;
  /** Each syncing viewer's own changes, where this implementation records them (inbox.ts). */
  readonly inboxes?: Inboxes;
  /** Every user's state held in memory (read by metrics at scrape time). */
  states(): IterableIterator<UserPresence>;
  position(): number;
  changeLog(): ChangeLog;
  flush(): Promise<void>;
  close(): Promise<void>;
}
