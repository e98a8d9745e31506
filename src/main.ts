/**
 * Composition root: config -> storage -> services -> sync -> http. Nothing else
 * constructs services; tests build whole servers through createServer.
 */
import { join } from 'node:path';
import { systemClock, type Clock } from './common/clock.js';
import { registrationOpen, type Config } from './config/index.js';
import { loadOrCreateSigningKey } from './federation/index.js';
import { authenticator, buildApp, LocalRateLimiter, type App } from './http/index.js';
import { webClientRoutes } from './http/static.js';
import { adminRoutes } from './api/admin/index.js';
import { clientRootRoutes, clientRoutes, type ClientApiDeps } from './api/client/index.js';
import { PresenceService } from './presence/index.js';
import { MembershipIndex, Memberships, RoomCreator, RoomEvents, Typing } from './rooms/index.js';
import { openStorage, type Storage } from './storage/index.js';
import {
  AccountDataStream, Notifier, PresenceStream, ReceiptsStream, RoomsStream, SyncFeeds, SyncService, ToDeviceStream, TypingStream,
} from './sync/index.js';
import { UiaSessions, UsersService } from './users/index.js';

export interface Server {
  app: App;
  config: Config;
  storage: Storage;
  deps: ClientApiDeps;
  /** Starts listening; resolves with the bound address. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createServer(config: Config, opts: { clock?: Clock } = {}): Promise<Server> {
  const clock = opts.clock ?? systemClock;
  // Assigned once the routes exist; services created earlier log through it.
  const late: { app?: App } = {};
  const storage = await openStorage(config.database);
  const signingKey = loadOrCreateSigningKey(join(config.dataDir, 'signing.key'));

  const users = new UsersService(storage.users, clock, config.serverName, config.limits);
  const index = new MembershipIndex();
  index.load(await storage.rooms.allJoined());
  const rooms = new RoomEvents(storage.rooms, index, clock, config.serverName, signingKey);
  const profileOf = (userId: string) => users.getProfile(userId);
  const members = new Memberships(rooms, profileOf);
  const creator = new RoomCreator(rooms, members, profileOf, clock);
  const typing = new Typing(clock);

  const notifier = new Notifier(clock);
  const roomsStream = new RoomsStream(rooms, storage.users, storage.rooms, index);
  const receiptsStream = new ReceiptsStream(storage.rooms);
  const accountDataStream = new AccountDataStream(storage.users);
  const toDeviceStream = new ToDeviceStream(storage.toDevice);
  roomsStream.setPosition(await storage.toDevice.currentPosition('rooms'));
  receiptsStream.setPosition(await storage.toDevice.currentPosition('receipts'));
  accountDataStream.setPosition(await storage.toDevice.currentPosition('accountData'));
  toDeviceStream.setPosition(await storage.toDevice.currentPosition('toDevice'));
  const presence = new PresenceService(config.presence, storage.presence, clock, index, notifier, {
    onError: (err) => late.app?.log.error({ err }, 'presence'),
  });
  await presence.load();
  const profileCache = new Map<string, { displayname: string | null; avatar_url: string | null }>();
  const cachedProfile = (userId: string) => {
    const hit = profileCache.get(userId);
    if (hit) return hit;
    return users.getProfile(userId).catch(() => ({ displayname: null, avatar_url: null })).then((p) => {
      // A change announced while this read was in flight has already put the newer profile here.
      if (profileCache.has(userId)) return profileCache.get(userId)!;
      if (profileCache.size > 200_000) profileCache.clear();
      profileCache.set(userId, p);
      return p;
    });
  };
  const feeds = new SyncFeeds(notifier, index, { accountData: accountDataStream, receipts: receiptsStream, toDevice: toDeviceStream });
  const sync = new SyncService(
    [roomsStream, new PresenceStream(presence, cachedProfile), new TypingStream(typing), receiptsStream, accountDataStream, toDeviceStream],
    notifier,
    clock,
    {
      syncStarted: (userId, deviceId, setPresence) => presence.apply(userId, { kind: 'syncStarted', deviceId, setPresence }),
      syncEnded: (userId, deviceId, setPresence) => presence.apply(userId, { kind: 'syncEnded', deviceId, setPresence }),
    },
  );

  rooms.listen({
    eventPersisted(ev, audience) {
      roomsStream.setPosition(ev.streamPos);
      notifier.wakeAll(audience);
    },
    membershipChanged(roomId, userId, joined) {
      if (joined) presence.joined(roomId, userId);
    },
  });
  typing.onChange((roomId) => notifier.wakeAll(index.members(roomId)));
  users.listen({
    profileChanged: async (userId, profile) => {
      profileCache.set(userId, profile);
      await members.profileChanged(userId, [...index.roomsOf(userId)]);
      presence.profileChanged(userId);
    },
    deviceRemoved: (userId, deviceId) => presence.applyDurable(userId, { kind: 'deviceRemoved', deviceId }),
  });

  const deps: ClientApiDeps = {
    config,
    clock,
    auth: authenticator(users),
    registrationOpen: registrationOpen(config),
    users,
    uia: new UiaSessions(clock),
    userData: storage.users,
    rooms,
    members,
    creator,
    index,
    typing,
    receipts: storage.rooms,
    toDevice: storage.toDevice,
    sync,
    feeds,
    limits: {
      login: new LocalRateLimiter(clock, config.rateLimits.login),
      register: new LocalRateLimiter(clock, config.rateLimits.register),
      send: new LocalRateLimiter(clock, config.rateLimits.send),
      presence: new LocalRateLimiter(clock, config.rateLimits.presence),
    },
    presence,
    activity: (s) => presence.apply(s.userId, { kind: 'activity', deviceId: s.deviceId }),
  };

  const app = await buildApp({
    maxBodyBytes: config.limits.maxBodyBytes,
    logLevel: config.logLevel,
    clientRoutes: clientRoutes(deps),
    rootRoutes: [...clientRootRoutes(deps), adminRoutes(deps), webClientRoutes()],
  });

  late.app = app;

  return {
    app,
    config,
    storage,
    deps,
    async listen() {
      return app.listen({ host: config.bind, port: config.port });
    },
    async close() {
      await app.close();
      await presence.close();
      await storage.close();
    },
  };
}
