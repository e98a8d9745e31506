import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock } from '../common/clock.js';
import { FlapTracker, DEFAULT_FLAP_RULE, type FlapRule } from './flaps.js';
import { LeanHistogram } from './histogram.js';

/** Presence states as metrics label them, in availability order. */
const STATES = ['offline', 'unavailable', 'online', 'free_for_chat'] as const;
type State = (typeof STATES)[number];
const RANK: Readonly<Record<State, number>> = { offline: 0, unavailable: 1, online: 2, free_for_chat: 3 };

/** What metrics read of the presence engine at scrape time. */
export interface PresenceCensus {
  states(): Iterable<{
    readonly published: { readonly self: { readonly presence: State } };
    readonly devices: ReadonlyMap<string, { readonly state: State }>;
  }>;
}

/** Wakes long-polls (the notifier); wrapped to count presence fan-out. */
export interface UserWaker {
  wake(userId: string): void;
}

/** A response of /sync as far as metrics look at it. */
interface SyncAnswer {
  presence: { events: readonly { sender?: unknown }[] };
}

interface RouteCell {
  /** By method, then status: plain numbers, read into the counter at scrape time. */
  readonly byMethod: Map<string, Map<number, { n: number }>>;
  readonly isSync: boolean;
}

export interface MetricsOptions {
  flapRule?: FlapRule;
}

const SYNC_REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const SYNC_BUILD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const DELIVERY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * One server's metrics, in a Registry of its own (several servers in one test process must
 * not share prom-client's global one). Events only bump plain numbers; prom-client objects
 * are filled from them in collect(), at scrape time, so the hot paths allocate nothing.
 * The names are listed in docs/running.md#metrics.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly transitions = new Float64Array(STATES.length * STATES.length);
  private published = 0;
  private fanout = 0;
  private timerFirings = 0;
  private abandonedBuilds = 0;
  private readonly routes = new Map<string, RouteCell>();
  /** Per user: stream position and time of their latest presence update (for delivery latency). */
  private readonly lastUpdate = new Map<string, { pos: number; at: number }>();
  private readonly flaps: FlapTracker;
  private readonly syncRequest = new LeanHistogram('presenced_sync_request_duration_seconds', 'Duration of /sync requests, long-poll waiting included', SYNC_REQUEST_BUCKETS);
  private readonly syncBuild = new LeanHistogram('presenced_sync_build_duration_seconds', 'Time to build one /sync response (waiting excluded)', SYNC_BUILD_BUCKETS);
  private readonly delivery = new LeanHistogram(
    'presenced_presence_delivery_latency_seconds',
    "From a user's presence update to the incremental /sync response built that carries it",
    DELIVERY_BUCKETS,
  );

  constructor(private readonly clock: Clock, private readonly census: PresenceCensus, opts: MetricsOptions = {}) {
    this.flaps = new FlapTracker(opts.flapRule ?? DEFAULT_FLAP_RULE);
    this.register();
  }

  /** The presence engine's observer (src/presence PresenceObserver). */
  readonly presence = {
    transition: (userId: string, from: State, to: State): void => {
      this.transitions[RANK[from] * STATES.length + RANK[to]]++;
      this.flaps.transition(userId, this.clock.now());
    },
    published: (userId: string, pos: number): void => {
      this.published++;
      const at = this.clock.now();
      const last = this.lastUpdate.get(userId);
      if (last) {
        last.pos = pos;
        last.at = at;
      } else this.lastUpdate.set(userId, { pos, at });
    },
    timerFired: (): void => {
      this.timerFirings++;
    },
  };

  /** The sync service's observer (src/sync SyncObserver). */
  readonly sync = {
    built: (sincePresence: number | null, res: SyncAnswer, ms: number): void => {
      this.syncBuild.observe(ms / 1000);
      // Initial syncs carry everyone's state, not deliveries of a change.
      if (sincePresence === null) return;
      const now = this.clock.now();
      for (const ev of res.presence.events) {
        const last = typeof ev.sender === 'string' ? this.lastUpdate.get(ev.sender) : undefined;
        // A member introduced by a join was updated long before this token: not a delivery.
        if (last && last.pos > sincePresence) this.delivery.observe((now - last.at) / 1000);
      }
    },
    abandoned: (): void => {
      this.abandonedBuilds++;
    },
  };

  /** The HTTP app's observer: one call per finished request. */
  readonly requests = {
    requestDone: (route: string | undefined, method: string, status: number, ms: number): void => {
      const key = route ?? 'unmatched';
      let cell = this.routes.get(key);
      if (!cell) this.routes.set(key, (cell = { byMethod: new Map(), isSync: key.endsWith('/sync') }));
      let byStatus = cell.byMethod.get(method);
      if (!byStatus) cell.byMethod.set(method, (byStatus = new Map()));
      const n = byStatus.get(status);
      if (n) n.n++;
      else byStatus.set(status, { n: 1 });
      if (cell.isSync && status === 200) this.syncRequest.observe(ms / 1000);
    },
  };

  /** Counts each user a presence update wakes (its fan-out) on the way to the notifier. */
  countingWaker(inner: UserWaker): { wakeAll(users: Iterable<string>): void } {
    return {
      wakeAll: (users) => {
        for (const u of users) {
          inner.wake(u);
          this.fanout++;
        }
      },
    };
  }

  private register(): void {
    const registers = [this.registry];
    // prom-client calls collect() with the metric as `this`; the sources are captured here.
    const { census, transitions, flaps, clock, routes } = this;
    new Gauge({
      name: 'presenced_presence_users', help: 'Users held by the presence engine, by their own (published) state', labelNames: ['state'], registers,
      collect() {
        const n = [0, 0, 0, 0];
        for (const u of census.states()) n[RANK[u.published.self.presence]]++;
        for (const s of STATES) this.set({ state: s }, n[RANK[s]]);
      },
    });
    new Gauge({
      name: 'presenced_presence_devices_online', help: 'Devices whose own state is online or free_for_chat', registers,
      collect() {
        let n = 0;
        for (const u of census.states()) for (const d of u.devices.values()) if (RANK[d.state] >= RANK.online) n++;
        this.set(n);
      },
    });
    new Counter({
      name: 'presenced_presence_transitions_total', help: "Changes of a user's published state, by from and to", labelNames: ['from', 'to'], registers,
      collect() {
        this.reset();
        for (const from of STATES) {
          for (const to of STATES) {
            const v = transitions[RANK[from] * STATES.length + RANK[to]];
            if (v > 0) this.inc({ from, to }, v);
          }
        }
      },
    });
    this.counter('presenced_presence_updates_total', 'Presence updates appended to the stream and notified', () => this.published);
    this.counter('presenced_presence_fanout_deliveries_total', 'Users woken for presence updates (the sum of every update\'s audience)', () => this.fanout);
    this.counter('presenced_sync_builds_abandoned_total', '/sync answers not built because every client waiting for them had disconnected', () => this.abandonedBuilds);
    this.counter('presenced_presence_timer_firings_total', 'Presence timers (idle, connection timeout) that fired', () => this.timerFirings);
    new Gauge({
      name: 'presenced_presence_flapping_users', help: 'Users with more state transitions in their current window than the flap rule allows', registers,
      collect() {
        this.set(flaps.flapping(clock.now()));
      },
    });
    new Counter({
      name: 'presenced_http_requests_total', help: 'HTTP requests answered, by route (the route pattern), method and status', labelNames: ['route', 'method', 'status'], registers,
      collect() {
        this.reset();
        for (const [route, cell] of routes) {
          for (const [method, byStatus] of cell.byMethod) for (const [status, c] of byStatus) this.inc({ route, method, status }, c.n);
        }
      },
    });
    for (const h of [this.syncRequest, this.syncBuild, this.delivery]) this.registry.registerMetric(h.asMetric());
  }

  private counter(name: string, help: string, read: () => number): void {
    new Counter({
      name, help, registers: [this.registry],
      collect() {
        this.reset();
        const v = read();
        if (v > 0) this.inc(v);
      },
    });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
