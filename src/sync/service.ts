import type { Clock } from '../common/clock.js';
import { addToListMap, removeFromListMap } from '../common/listMap.js';
import type { Filter } from './filter.js';
import type { Notifier } from './notifier.js';
import type { StreamProvider, SyncContext, SyncResponse, JoinedRoomSync } from './streams/types.js';
import { BuildGate } from './buildGate.js';
import { decodeSyncToken, encodeSyncToken, raisePositions, zeroPositions, type StreamPositions } from './token.js';

export type SetPresence = 'online' | 'unavailable' | 'offline';

/** Told when a device's /sync starts and ends, so presence can track connections. */
export interface SyncPresenceHooks {
  syncStarted(userId: string, deviceId: string, setPresence: SetPresence): void;
  syncEnded(userId: string, deviceId: string, setPresence: SetPresence): void;
}

/** Told about each response built, for metrics; implementations only count. */
export interface SyncObserver {
  /**
   * A response was built in ms (wall time, not the Clock's: it measures, it decides
   * nothing); sincePresence is the token's presence position, null for an initial sync.
   */
  built(sincePresence: number | null, res: SyncResponse, ms: number): void;
  /** A build was skipped: every request waiting for it had lost its connection. */
  abandoned?(): void;
}

export interface SyncRequest {
  userId: string;
  deviceId: string;
  filter: Filter;
  /** Key identifying the filter, for sharing identical concurrent requests. */
  filterKey: string;
  since?: string;
  timeoutMs: number;
  fullState: boolean;
  setPresence: SetPresence;
  /** Set when the client goes away; the long-poll then ends at once. */
  gone?: ClientGone;
}

/**
 * The client's connection closing. A plain flag and one callback rather than an
 * AbortSignal: every /sync would otherwise pay for a signal and, when its socket closes
 * after the answer, for an abort that builds a DOMException nobody reads.
 */
export class ClientGone {
  private done = false;
  private listener: (() => void) | null = null;

  get aborted(): boolean {
    return this.done;
  }

  /** Marks the client gone and runs the listener, once. */
  fire(): void {
    if (this.done) return;
    this.done = true;
    const l = this.listener;
    this.listener = null;
    l?.();
  }

  /** One listener at a time; the returned function removes it. */
  onGone(fn: () => void): () => void {
    this.listener = fn;
    return () => {
      if (this.listener === fn) this.listener = null;
    };
  }
}

/** A response with every section present and empty; providers fill it in. */
export function emptyResponse(): SyncResponse {
  return {
    next_batch: '',
    rooms: { join: {}, invite: {}, leave: {}, knock: {} },
    presence: { events: [] },
    account_data: { events: [] },
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
    device_one_time_keys_count: {},
    device_unused_fallback_key_types: [],
  };
}

function isEmpty(r: SyncResponse): boolean {
  return (
    Object.keys(r.rooms.join).length === 0 &&
    Object.keys(r.rooms.invite).length === 0 &&
    Object.keys(r.rooms.leave).length === 0 &&
    r.presence.events.length === 0 &&
    r.account_data.events.length === 0 &&
    r.to_device.events.length === 0 &&
    r.device_lists.changed.length === 0
  );
}

/** A response being built, shared by identical requests that arrive meanwhile. */
class InflightBuild {
  /**
   * The positions it reads up to, read when it leaves the gate; null while it waits there,
   * when it will read positions no older than any request's.
   */
  to: StreamPositions | null = null;
  /** Left the gate abandoned: its answer is a placeholder nobody may share. */
  skipped = false;
  readonly response: Promise<SyncResponse>;
  /** Connections of the requests that joined after the first; almost always none. */
  private others: (ClientGone | undefined)[] | null = null;

  constructor(
    readonly deviceId: string,
    readonly since: string | undefined,
    readonly filterKey: string,
    readonly fullState: boolean,
    /** The first request's connection; undefined for a caller that cannot go away. */
    private readonly gone: ClientGone | undefined,
    run: (b: InflightBuild) => Promise<SyncResponse>,
  ) {
    this.response = run(this);
  }

  join(gone: ClientGone | undefined): void {
    (this.others ??= []).push(gone);
  }

  /** Nobody would read the answer: every request for it has lost its connection. */
  abandoned(): boolean {
    if (!this.gone?.aborted) return false;
    if (this.others) for (const c of this.others) if (!c?.aborted) return false;
    return true;
  }
}

/**
 * /sync: register the waiter, read positions, build; if there is nothing new, sleep until
 * woken or timed out and build again. Identical concurrent requests share one build.
 */
export class SyncService {
  private readonly inflight = new Map<string, InflightBuild[]>();

  constructor(
    private readonly providers: StreamProvider[],
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly presence?: SyncPresenceHooks,
    private readonly observer?: SyncObserver,
    private readonly gate: BuildGate = new BuildGate(),
  ) {}

  positions(): StreamPositions {
    const p = zeroPositions();
    for (const prov of this.providers) p[prov.stream] = prov.position();
    return p;
  }

  async sync(req: SyncRequest): Promise<SyncResponse> {
    const since = req.since === undefined ? null : decodeSyncToken(req.since);
    this.presence?.syncStarted(req.userId, req.deviceId, req.setPresence);
    try {
      const deadline = this.clock.now() + req.timeoutMs;
      for (;;) {
        const waiter = this.notifier.register(req.userId);
        // A long-poll whose token is the current position of every stream has nothing to
        // get yet: it parks without building an empty answer (half the work of a wake-up).
        if (since !== null && !req.fullState && !req.gone?.aborted && deadline > this.clock.now() && this.atHead(since)) {
          const unlisten = req.gone?.onGone(() => waiter.cancel());
          const woken = await waiter.wait(deadline - this.clock.now());
          unlisten?.();
          if (woken) continue;
          waiter.cancel();
          return await this.buildShared(req, since);
        }
        let res: SyncResponse;
        try {
          res = await this.buildShared(req, since);
        } catch (e) {
          waiter.cancel();
          throw e;
        }
        const remaining = deadline - this.clock.now();
        if (since === null || req.fullState || !isEmpty(res) || remaining <= 0) {
          waiter.cancel();
          return res;
        }
        if (req.gone?.aborted) {
          waiter.cancel();
          return res;
        }
        const unlisten = req.gone?.onGone(() => waiter.cancel());
        const woken = await waiter.wait(remaining);
        unlisten?.();
        if (!woken) return res;
      }
    } finally {
      this.presence?.syncEnded(req.userId, req.deviceId, req.setPresence);
    }
  }

  private atHead(since: StreamPositions): boolean {
    for (const prov of this.providers) if (prov.position() !== since[prov.stream]) return false;
    return true;
  }

  private buildShared(req: SyncRequest, since: StreamPositions | null): Promise<SyncResponse> {
    // By user, then compared field by field: no key string to build and hash per /sync.
    // Only a build that started after the latest write is shared: the caller registered its
    // waiter just now, so a write the build missed would never wake it.
    const same = this.inflight
      .get(req.userId)
      ?.find((b) => b.deviceId === req.deviceId && b.since === req.since && b.filterKey === req.filterKey && b.fullState === req.fullState && !b.skipped && (b.to === null || this.atHead(b.to)));
    if (same) {
      same.join(req.gone);
      return same.response;
    }
    const build = new InflightBuild(req.deviceId, req.since, req.filterKey, req.fullState, req.gone, (b) =>
      this.gate.run(() => {
        // Under overload clients give up and retry while their builds queue here; building
        // for a closed socket would spend the turn the retry is waiting for.
        if (b.abandoned()) {
          b.skipped = true;
          return Promise.resolve(this.abandonedAnswer(since));
        }
        // Read at the start, not at arrival: what was written while it waited goes in too.
        const to = (b.to = this.positions());
        // A token from the future (another instance, a restored backup) must not make ranges negative.
        if (since) raisePositions(to, since);
        return this.build(req, since, to);
      }),
    );
    addToListMap(this.inflight, req.userId, build);
    const done = () => removeFromListMap(this.inflight, req.userId, build);
    build.response.then(done, done);
    return build.response;
  }

  /**
   * Nobody reads it, but if anything did, its token must not skip a write: it is the
   * caller's own token, or the start of every stream for an initial sync.
   */
  private abandonedAnswer(since: StreamPositions | null): SyncResponse {
    this.observer?.abandoned?.();
    const res = emptyResponse();
    res.next_batch = encodeSyncToken(since ?? zeroPositions());
    return res;
  }

  private async build(req: SyncRequest, since: StreamPositions | null, to: StreamPositions): Promise<SyncResponse> {
    const startedAt = this.observer ? performance.now() : 0;
    const response = emptyResponse();
    const ctx: SyncContext = {
      userId: req.userId,
      deviceId: req.deviceId,
      filter: req.filter,
      since,
      to,
      fullState: req.fullState,
      now: this.clock.now(),
      joinedRooms: [],
      newlyJoined: new Set(),
      response,
      joined: (roomId) => (response.rooms.join[roomId] ??= emptyJoined()),
    };
    for (const p of this.providers) {
      const pending = p.fill(ctx);
      if (pending) await pending;
    }
    response.next_batch = encodeSyncToken(ctx.to);
    this.observer?.built(since === null ? null : since.presence, response, performance.now() - startedAt);
    return response;
  }
}

export function emptyJoined(): JoinedRoomSync {
  return {
    timeline: { events: [], limited: false, prev_batch: '' },
    state: { events: [] },
    ephemeral: { events: [] },
    account_data: { events: [] },
    unread_notifications: { notification_count: 0, highlight_count: 0 },
    summary: {},
  };
}
