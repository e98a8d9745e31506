/** What the users service needs from storage. */
export interface UserRow {
  userId: string;
  passwordHash: string | null;
  isAdmin: boolean;
  deactivated: boolean;
  displayname: string | null;
  avatarUrl: string | null;
  createdTs: number;
}

export interface DeviceRow {
  userId: string;
  deviceId: string;
  displayName: string | null;
  lastSeenTs: number | null;
  lastSeenIp: string | null;
}

export interface UserStore {
  createUser(u: { userId: string; passwordHash: string | null; isAdmin: boolean; createdTs: number }): Promise<boolean>;
  getUser(userId: string): Promise<UserRow | undefined>;
  setPasswordHash(userId: string, hash: string | null): Promise<void>;
  setDeactivated(userId: string): Promise<void>;
  setProfile(userId: string, fields: { displayname?: string | null; avatarUrl?: string | null }): Promise<void>;
  listUsers(after: string, limit: number): Promise<UserRow[]>;
}

export interface DeviceStore {
  upsertDevice(userId: string, deviceId: string, displayName: string | null, ts: number): Promise<void>;
  getDevice(userId: string, deviceId: string): Promise<DeviceRow | undefined>;
  listDevices(userId: string): Promise<DeviceRow[]>;
  setDeviceName(userId: string, deviceId: string, name: string | null): Promise<boolean>;
  /** Deletes the device and its tokens. */
  deleteDevice(userId: string, deviceId: string): Promise<void>;
  touchDevice(userId: string, deviceId: string, ts: number, ip: string | null): Promise<void>;
  createToken(tokenHash: string, userId: string, deviceId: string, ts: number): Promise<void>;
  lookupToken(tokenHash: string): Promise<{ userId: string; deviceId: string } | undefined>;
  deleteToken(tokenHash: string): Promise<void>;
}

export interface FilterStore {
  createFilter(userId: string, json: string): Promise<number>;
  getFilter(userId: string, filterId: number): Promise<string | undefined>;
}

export interface AccountDataRow {
  roomId: string; // '' for global
  type: string;
  content: Record<string, unknown>;
  streamPos: number;
}

export interface AccountDataStore {
  putAccountData(userId: string, roomId: string, type: string, content: Record<string, unknown>): Promise<number>;
  getAccountData(userId: string, roomId: string, type: string): Promise<Record<string, unknown> | undefined>;
  /** Entries changed in (from, to]; from = -1 means all. */
  accountDataSince(userId: string, from: number, to: number): Promise<AccountDataRow[]>;
}

export interface PushRuleStore {
  getPushRules(userId: string): Promise<unknown | undefined>;
  putPushRules(userId: string, doc: unknown): Promise<void>;
}
