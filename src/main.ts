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
import { clientRootRoutes, clientRoutes, isPublicRoute, type ClientApiDeps } from './api/client/index.js';
import { ClusterPresenceService, PresenceService, type Presence, type UserPresence } from './presence/index.js';
import { MembershipIndex, Memberships, RoomCreator, RoomEvents, Typing } from './rooms/index.js';
import { openStorage, PgDb, type Storage } from './storage/index.js';
import { PgClusterPresenceStore } from './storage/postgres/clusterPresence.js';
import { RedisBus } from './bus/index.js';
import { ClusterLink, RedisUiaStore, SharedFeeds, SharedTyping } from './cluster/index.js';
import { RedisRateLimiter } from './http/redisRateLimit.js';
import type { RateLimiter } from './http/rateLimit.js';
import type { RateLimit } from './config/index.js';
import {
  AccountDataStream, BuildGate, Notifier, PresenceStream, ReceiptsStream, RoomsStream, SyncFeeds, SyncService, ToDeviceStream, TypingStream, type Waiter,
} from './sync/index.js';
import { UiaSessions, UsersService } from './users/index.js';
import { listenMetrics, metricsRoute, ServerMetrics, type MetricsListener } from './metrics/index.js';
import type { FastifyLoggerOptions } from 'fastify';

export interface Server {
  app: App;
  config: Config;
  storage: Storage;
  deps: ClientApiDeps;
  /** null when metrics.enabled is false. */
  metrics: ServerMetrics | null;
  /** Starts listening; resolves with the bound address. */
  listen(): Promise<string>;
  /** Where /metrics is served once listening: the separate listener's address, or null for the main one. */
  metricsAddress(): string | null;
  /** Graceful stop: stop accepting, answer parked long-polls at once, flush presence, close storage. */
  close(): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  /** Test-only: log lines go here instead of stdout. */
  logStream?: FastifyLoggerOptions['stream'];
  /** Test-only: extra root routes (the adjustable clock's control). */
  extraRoutes?: Parameters<typeof buildApp>[0]['rootRoutes'];
}

/**
 * A Notifier that can drain for a graceful stop: once drained, every waiting long-poll is
 * woken and every later wait ends at once as if timed out, so each /sync answers what it
 * has (an empty incremental answer with a valid next_batch) instead of waiting.
 */
class DrainableNotifier extends Notifier {
  private draining = false;
  /** Users who ever waited: who to wake on drain. Bounded by the users who sync. */
  private readonly waited = new Set<string>();

  override register(userId: string): Waiter {
    if (this.draining) return TIMED_OUT;
    this.waited.add(userId);
    return super.register(userId);
  }

  drain(): void {
    this.draining = true;
    this.wakeAll(this.waited);
  }
}

const TIMED_OUT: Waiter = Object.freeze({ wait: () => Promise.resolve(false), cancel: () => {} });

export async function createServer(config: Config, opts: ServerOptions = {}): Promise<Server> {
  const clock = opts.clock ?? systemClock;
  // Assigned once the routes exist; services created earlier log through it.
  const late: { app?: App } = {};
  const storage = await openStorage(config.database);
  const onError = (what: string) => (err: unknown) => late.app?.log.error({ err }, what);
  // Several instances: Redis between them, PostgreSQL under them (the config loader ensures both).
  const bus = config.redis && storage.db instanceof PgDb
    ? new RedisBus({ url: config.redis.url, prefix: config.redis.prefix, instanceId: config.instanceName ?? undefined, onError: onError('redis') })
    : null;
  // Subscribed before anything is loaded: peers' changes from here on are held, then applied.
  await bus?.start();
  const signingKey = loadOrCreateSigningKey(join(config.dataDir, 'signing.key'));

  const users = new UsersService(storage.users, clock, config.serverName, config.limits);
  const index = new MembershipIndex();
  index.load(await storage.rooms.allJoined());
  const rooms = new RoomEvents(storage.rooms, index, clock, config.serverName, signingKey, bus !== null);
  const profileOf = (userId: string) => users.getProfile(userId);
  const members = new Memberships(rooms, profileOf);
  const creator = new RoomCreator(rooms, members, profileOf, clock);
  const typing = bus ? new SharedTyping(clock, bus) : new Typing(clock);

  const notifier = new DrainableNotifier(clock);
  // Reads presence only when scraped, by which time it exists.
  const metrics = config.metrics.enabled ? new ServerMetrics(clock, { states: (): Iterable<UserPresence> => presence.states() }) : null;
  const roomsStream = new RoomsStream(rooms, storage.users, storage.rooms, index, { shared: bus !== null });
  const receiptsStream = new ReceiptsStream(storage.rooms);
  const accountDataStream = new AccountDataStream(storage.users);
  const toDeviceStream = new ToDeviceStream(storage.toDevice);
  const storedPositions = async () => ({
    rooms: await storage.toDevice.currentPosition('rooms'),
    receipts: await storage.toDevice.currentPosition('receipts'),
    accountData: await storage.toDevice.currentPosition('accountData'),
    toDevice: await storage.toDevice.currentPosition('toDevice'),
  });
  const stored = await storedPositions();
  roomsStream.setPosition(stored.rooms);
  receiptsStream.setPosition(stored.receipts);
  accountDataStream.setPosition(stored.accountData);
  toDeviceStream.setPosition(stored.toDevice);
  const waker = metrics ? metrics.countingWaker(notifier) : notifier;
  const presence: Presence = bus
    ? new ClusterPresenceService(config.presence, new PgClusterPresenceStore(storage.db as PgDb), clock, index, waker, bus, { onError: onError('presence'), observer: metrics?.presence })
    : new PresenceService(config.presence, storage.presence, clock, index, waker, { onError: onError('presence'), observer: metrics?.presence });
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
  const feedStreams = { accountData: accountDataStream, receipts: receiptsStream, toDevice: toDeviceStream };
  const feeds = bus ? new SharedFeeds(notifier, index, feedStreams, bus) : new SyncFeeds(notifier, index, feedStreams);
  const link = bus
    ? new ClusterLink(bus, {
      index, rooms, roomsStream, feeds: feeds as SharedFeeds, typing: typing as SharedTyping, notifier, users, profiles: profileCache,
      readJoined: () => storage.rooms.allJoined(),
      readPositions: storedPositions,
      localPositions: () => ({
        rooms: roomsStream.position(), receipts: receiptsStream.position(), accountData: accountDataStream.position(), toDevice: toDeviceStream.position(),
      }),
    }, clock, onError('cluster'))
    : null;
  link?.start();
  bus?.open();
  const sync = new SyncService(
    [roomsStream, new PresenceStream(presence, cachedProfile), new TypingStream(typing), receiptsStream, accountDataStream, toDeviceStream],
    notifier,
    clock,
    {
      syncStarted: (userId, deviceId, setPresence) => presence.apply(userId, { kind: 'syncStarted', deviceId, setPresence }),
      syncEnded: (userId, deviceId, setPresence) => presence.apply(userId, { kind: 'syncEnded', deviceId, setPresence }),
    },
    metrics?.sync,
    new BuildGate({ maxActive: config.database.type === 'sqlite' ? 4 : 32 }),
  );

  rooms.listen({
    eventPersisted(ev, audience) {
      roomsStream.noteEvent(ev);
      notifier.wakeAll(audience);
      link?.roomEvent(ev);
    },
    membershipChanged(roomId, userId, joined) {
      if (joined) presence.joined(roomId, userId);
    },
    membershipForgotten(_roomId, userId) {
      roomsStream.noteForgotten(userId);
    },
  });
  typing.onChange((roomId) => notifier.wakeAll(index.members(roomId)));
  users.listen({
    profileChanged: async (userId, profile) => {
      profileCache.set(userId, profile);
      link?.profileChanged(userId, profile);
      await members.profileChanged(userId, [...index.roomsOf(userId)]);
      presence.profileChanged(userId);
    },
    deviceRemoved: async (userId, deviceId) => {
      link?.sessionsEnded(userId, deviceId);
      await presence.applyDurable(userId, { kind: 'deviceRemoved', deviceId });
    },
    deactivated: async (userId) => link?.sessionsEnded(userId),
  });
  const limiter = (name: string, limit: RateLimit): RateLimiter =>
    bus ? new RedisRateLimiter(bus.redis, clock, limit, `${config.redis!.prefix}:rl:${name}`) : new LocalRateLimiter(clock, limit);

  const deps: ClientApiDeps = {
    config,
    clock,
    auth: authenticator(users),
    registrationOpen: registrationOpen(config),
    users,
    uia: new UiaSessions(clock, bus ? new RedisUiaStore(bus.redis, config.redis!.prefix) : undefined),
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
      login: limiter('login', config.rateLimits.login),
      register: limiter('register', config.rateLimits.register),
      send: limiter('send', config.rateLimits.send),
      presence: limiter('presence', config.rateLimits.presence),
    },
    presence,
    activity: (s) => presence.apply(s.userId, { kind: 'activity', deviceId: s.deviceId }),
  };

  const app = await buildApp({
    maxBodyBytes: config.limits.maxBodyBytes,
    logLevel: config.logLevel,
    logStream: opts.logStream,
    requests: metrics?.requests,
    clientRoutes: clientRoutes(deps),
    auth: { authenticate: deps.auth, isPublic: isPublicRoute },
    rootRoutes: [
      ...clientRootRoutes(deps), adminRoutes(deps), webClientRoutes(),
      ...(metrics && config.metrics.port === null ? [metricsRoute(metrics)] : []),
      ...(opts.extraRoutes ?? []),
    ],
  });
  // Runs once Fastify refuses new requests and before it waits for those in progress,
  // of which parked long-polls would otherwise hold the stop for their whole timeout.
  app.addHook('preClose', (done) => {
    notifier.drain();
    // Node closes only the connections idle at the moment of close(); a kept-alive one that
    // answers a drained long-poll afterwards would hold the close for keepAliveTimeout.
    const reap = setInterval(() => app.server.closeIdleConnections(), 20);
    reap.unref();
    app.server.once('close', () => clearInterval(reap));
    done();
  });

  late.app = app;
  let metricsListener: MetricsListener | null = null;

  return {
    app,
    config,
    storage,
    deps,
    metrics,
    async listen() {
      const address = await app.listen({ host: config.bind, port: config.port, backlog: config.listenBacklog });
      if (metrics && config.metrics.port !== null) metricsListener = await listenMetrics(metrics, config.metrics.bind ?? '127.0.0.1', config.metrics.port);
      return address;
    },
    metricsAddress: () => metricsListener?.address ?? null,
    async close() {
      await app.close();
      await metricsListener?.close();
      link?.stop();
      await presence.close();
      await bus?.close();
      await storage.close();
    },
  };
}
