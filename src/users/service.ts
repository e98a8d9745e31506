import type { Clock } from '../common/clock.js';
import { MatrixError, forbidden, notFound } from '../common/errors.js';
import { isValidNewLocalpart, newDeviceId, parseId } from '../common/ids.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { hashToken, newAccessToken } from './tokens.js';
import type { DeviceRow, DeviceStore, UserRow, UserStore } from './store.js';

export interface Session {
  userId: string;
  deviceId: string;
  isAdmin: boolean;
}

export interface Profile {
  displayname: string | null;
  avatar_url: string | null;
}

/** Who wants to hear about account changes (rooms re-send member events, presence drops devices). */
export interface UserListeners {
  profileChanged?(userId: string, profile: Profile): Promise<void>;
  deviceRemoved?(userId: string, deviceId: string): Promise<void>;
  deactivated?(userId: string): Promise<void>;
}

export interface LoginResult {
  user_id: string;
  access_token: string;
  device_id: string;
  home_server: string;
}

const TOKEN_CACHE_MAX = 100_000;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export class UsersService {
  private readonly listeners: UserListeners[] = [];
  /** Access token → session; saves a database read and a hash on every request. Cleared on logout. */
  private readonly tokenCache = new Map<string, Session>();

  constructor(
    private readonly store: UserStore & DeviceStore,
    private readonly clock: Clock,
    readonly serverName: string,
    private readonly limits: { maxDisplaynameLength: number },
  ) {}

  listen(l: UserListeners): void {
    this.listeners.push(l);
  }

  userId(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  isLocal(userId: string): boolean {
    return parseId(userId, '@')?.serverName === this.serverName;
  }

  checkLocalpart(localpart: string): void {
    if (!isValidNewLocalpart(localpart)) {
      throw new MatrixError(400, 'M_INVALID_USERNAME', 'User ID may only contain a-z, 0-9, and the characters ._=-/+');
    }
    if (this.userId(localpart).length > 255) throw new MatrixError(400, 'M_INVALID_USERNAME', 'User ID is too long');
  }

  async isAvailable(localpart: string): Promise<boolean> {
    this.checkLocalpart(localpart);
    return (await this.store.getUser(this.userId(localpart))) === undefined;
  }

  async register(opts: {
    localpart: string;
    password: string | null;
    isAdmin?: boolean;
    deviceId?: string;
    deviceName?: string | null;
    inhibitLogin?: boolean;
  }): Promise<{ user_id: string; access_token?: string; device_id?: string; home_server: string }> {
    this.checkLocalpart(opts.localpart);
    const userId = this.userId(opts.localpart);
    const passwordHash = opts.password === null ? null : await hashPassword(opts.password);
    const created = await this.store.createUser({ userId, passwordHash, isAdmin: opts.isAdmin ?? false, createdTs: this.clock.now() });
    if (!created) throw new MatrixError(400, 'M_USER_IN_USE', 'That user ID is already taken');
    if (opts.inhibitLogin) return { user_id: userId, home_server: this.serverName };
    return this.createSession(userId, opts.deviceId, opts.deviceName ?? null);
  }

  async login(identifier: string, password: string, deviceId?: string, deviceName?: string | null): Promise<LoginResult> {
    const userId = identifier.startsWith('@') ? identifier : this.userId(identifier.toLowerCase());
    const user = this.isLocal(userId) ? await this.store.getUser(userId) : undefined;
    const ok = user && !user.deactivated && (await verifyPassword(password, user.passwordHash));
    if (!ok) throw new MatrixError(403, 'M_FORBIDDEN', 'Invalid username or password');
    return this.createSession(userId, deviceId, deviceName ?? null);
  }

  async checkPassword(userId: string, password: string): Promise<void> {
    const user = await this.store.getUser(userId);
    if (!user || !(await verifyPassword(password, user.passwordHash))) throw forbidden('Invalid password');
  }

  private async createSession(userId: string, deviceId: string | undefined, deviceName: string | null): Promise<LoginResult> {
    const device = deviceId ?? newDeviceId();
    const token = newAccessToken();
    await this.store.upsertDevice(userId, device, deviceName, this.clock.now());
    await this.store.createToken(hashToken(token), userId, device, this.clock.now());
    return { user_id: userId, access_token: token, device_id: device, home_server: this.serverName };
  }

  async authenticate(token: string): Promise<Session | undefined> {
    // Keyed by the token itself (memory only, never stored) so a hit costs no hashing.
    const cached = this.tokenCache.get(token);
    if (cached) return cached;
    const row = await this.store.lookupToken(hashToken(token));
    if (!row) return undefined;
    const user = await this.store.getUser(row.userId);
    if (!user || user.deactivated) return undefined;
    const session = { userId: row.userId, deviceId: row.deviceId, isAdmin: user.isAdmin };
    if (this.tokenCache.size >= TOKEN_CACHE_MAX) this.tokenCache.clear();
    this.tokenCache.set(token, session);
    return session;
  }

  /** Drops cached sessions of a user (one device, or all) that another instance ended. */
  forgetSessions(userId: string, deviceId?: string): void {
    for (const [h, s] of this.tokenCache) if (s.userId === userId && (deviceId === undefined || s.deviceId === deviceId)) this.tokenCache.delete(h);
  }

  /** Drops every cached session (after messages from other instances may have been missed). */
  forgetAllSessions(): void {
    this.tokenCache.clear();
  }

  async logout(token: string, session: Session): Promise<void> {
    await this.removeDevice(session.userId, session.deviceId);
    this.tokenCache.delete(token);
  }

  async logoutAll(userId: string): Promise<void> {
    for (const d of await this.store.listDevices(userId)) await this.removeDevice(userId, d.deviceId);
  }

  async removeDevice(userId: string, deviceId: string): Promise<void> {
    await this.store.deleteDevice(userId, deviceId);
    this.forgetSessions(userId, deviceId);
    for (const l of this.listeners) await l.deviceRemoved?.(userId, deviceId);
  }

  async deactivate(userId: string): Promise<void> {
    const devices = await this.store.listDevices(userId);
    await this.store.setDeactivated(userId);
    this.forgetSessions(userId);
    for (const d of devices) for (const l of this.listeners) await l.deviceRemoved?.(userId, d.deviceId);
    for (const l of this.listeners) await l.deactivated?.(userId);
  }

  async setPassword(userId: string, password: string): Promise<void> {
    await this.store.setPasswordHash(userId, await hashPassword(password));
  }

  getUser(userId: string): Promise<UserRow | undefined> {
    return this.store.getUser(userId);
  }

  listUsers(after: string, limit: number): Promise<UserRow[]> {
    return this.store.listUsers(after, limit);
  }

  listDevices(userId: string): Promise<DeviceRow[]> {
    return this.store.listDevices(userId);
  }

  async getDevice(userId: string, deviceId: string): Promise<DeviceRow> {
    const d = await this.store.getDevice(userId, deviceId);
    if (!d) throw notFound('Unknown device');
    return d;
  }

  async renameDevice(userId: string, deviceId: string, name: string | null): Promise<void> {
    if (!(await this.store.setDeviceName(userId, deviceId, name))) throw notFound('Unknown device');
  }

  touchDevice(userId: string, deviceId: string, ip: string | null): Promise<void> {
    return this.store.touchDevice(userId, deviceId, this.clock.now(), ip);
  }

  async getProfile(userId: string): Promise<Profile> {
    const u = await this.store.getUser(userId);
    if (!u || u.deactivated) throw notFound('Profile not found');
    return { displayname: u.displayname, avatar_url: u.avatarUrl };
  }

  /** Profile fields are the user's own; a change is announced to rooms and presence. */
  async setProfileField(actor: Session, userId: string, field: 'displayname' | 'avatar_url', value: string | null): Promise<void> {
    if (actor.userId !== userId && !actor.isAdmin) throw forbidden("You cannot change another user's profile");
    if (!this.isLocal(userId)) throw forbidden('Can only change profiles of local users');
    const user = await this.store.getUser(userId);
    if (!user || user.deactivated) throw notFound('Profile not found');
    if (field === 'displayname' && value !== null && value.length > this.limits.maxDisplaynameLength) {
      throw new MatrixError(400, 'M_TOO_LARGE', `displayname is longer than ${this.limits.maxDisplaynameLength} characters`);
    }
    if (field === 'avatar_url' && value !== null && value.length > 1000) {
      throw new MatrixError(400, 'M_TOO_LARGE', 'avatar_url is too long');
    }
    // The value goes into signed member events, whose canonical JSON cannot carry a lone surrogate.
    if (value !== null && LONE_SURROGATE.test(value)) throw new MatrixError(400, 'M_BAD_JSON', `${field} is not valid Unicode`);
    const current = field === 'displayname' ? user.displayname : user.avatarUrl;
    if (current === value) return;
    await this.store.setProfile(userId, field === 'displayname' ? { displayname: value } : { avatarUrl: value });
    const profile = await this.getProfile(userId);
    for (const l of this.listeners) await l.profileChanged?.(userId, profile);
  }
}
