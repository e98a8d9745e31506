/**
 * Messages between instances. Each says what changed and where; receivers re-read
 * storage for data (like the notifier, the bus carries positions, not payloads, except
 * where the payload is tiny and already durable).
 */
export type BusMessage =
  | { kind: 'roomEvent'; roomId: string; streamPos: number; member?: { userId: string; membership: string } }
  | { kind: 'stream'; stream: 'receipts' | 'accountData' | 'toDevice'; pos: number; users?: string[]; roomId?: string }
  | { kind: 'typing'; roomId: string; userId: string; typing: boolean; timeoutMs: number }
  | { kind: 'presence'; userId: string; pos: number; state: unknown; scope: 'all' | 'self' | 'room'; roomId?: string }
  | { kind: 'sessionRevoked'; userId: string; deviceId?: string }
  | { kind: 'profile'; userId: string; displayname: string | null; avatar_url: string | null };

export interface Bus {
  /** Unique per process; messages from oneself are not delivered back. */
  readonly instanceId: string;
  publish(msg: BusMessage): void;
  subscribe(handler: (msg: BusMessage) => void): void;
  /** Called after the connection to the other instances was lost and is back. */
  onReconnect(handler: () => void): void;
  close(): Promise<void>;
}
