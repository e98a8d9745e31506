import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError, notFound } from '../../common/errors.js';
import { isUserId } from '../../common/ids.js';
import { bearerToken, QueryParser } from '../../http/index.js';
import { ClientGone, decodeSyncToken, parseFilter, type Filter, type SetPresence, type SyncResponse } from '../../sync/index.js';
import type { Session } from '../../users/index.js';
import type { ClientApiDeps } from './deps.js';

const SyncQuery = Type.Object({
  since: Type.Optional(Type.String()),
  timeout: Type.Optional(Type.String({ pattern: '^[0-9]{1,10}$' })),
  full_state: Type.Optional(Type.String()),
  set_presence: Type.Optional(Type.String()),
  // Its length is checked in the handler: a schema maxLength counts code points, every request.
  filter: Type.Optional(Type.String()),
  use_state_after: Type.Optional(Type.String()),
});

const SET_PRESENCE = new Set(['online', 'unavailable', 'offline']);
const MAX_FILTER_LENGTH = 16384;

/** Filters (spec: "Filtering") and /sync. */
export function syncRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    const filterCache = new Map<string, Filter>();
    const inlineCache = new Map<string, Filter>();
    const inlineKeys = new WeakMap<Filter, string>();
    let inlineCount = 0;

    type Resolved = { filter: Filter; key: string };

    /** The filter from memory; undefined when a stored filter must be read first. Throws on a bad one. */
    function knownFilter(userId: string, param: string | undefined): Resolved | undefined {
      if (param === undefined || param === '') return { filter: {}, key: '' };
      if (param.length > MAX_FILTER_LENGTH) throw new MatrixError(400, 'M_INVALID_PARAM', `filter is longer than ${MAX_FILTER_LENGTH} characters`);
      if (param.trim().startsWith('{')) {
        // Clients repeat the same inline filter on every long-poll: parse each text once.
        let filter = inlineCache.get(param);
        if (!filter) {
          let json: unknown;
          try {
            json = JSON.parse(param);
          } catch {
            throw new MatrixError(400, 'M_NOT_JSON', 'filter is not valid JSON');
          }
          filter = parseFilter(json);
          if (inlineCache.size >= 10_000) inlineCache.clear();
          inlineCache.set(param, filter);
          inlineKeys.set(filter, `inline:${++inlineCount}`);
        }
        // A short key for the same text: sharing identical concurrent syncs compares it.
        return { filter, key: inlineKeys.get(filter)! };
      }
      if (!/^[0-9]{1,15}$/.test(param)) throw new MatrixError(400, 'M_INVALID_PARAM', 'filter must be a filter ID or a JSON object');
      const filter = filterCache.get(`${userId}\u0000${param}`);
      return filter ? { filter, key: `id:${param}` } : undefined;
    }

    async function resolveFilter(userId: string, param: string | undefined): Promise<Resolved> {
      const known = knownFilter(userId, param);
      if (known) return known;
      const text = await d.userData.getFilter(userId, Number(param));
      if (text === undefined) throw notFound('No such filter');
      const filter = parseFilter(JSON.parse(text));
      if (filterCache.size > 10_000) filterCache.clear();
      filterCache.set(`${userId}\u0000${param}`, filter);
      return { filter, key: `id:${param}` };
    }

    /** The long-poll itself, for both ways in: the Fastify route and the fast route. */
    function runSync(session: Session, q: SyncParams, filter: Resolved, onClose: (fn: () => void) => void): Promise<SyncResponse> {
      const timeoutMs = Math.min(q.timeout === undefined ? 0 : Number(q.timeout), d.config.limits.maxSyncTimeoutMs);
      const gone = new ClientGone();
      // The response socket closing before we answer means the client gave up on this long-poll.
      onClose(() => gone.fire());
      return d.sync.sync({
        userId: session.userId,
        deviceId: session.deviceId,
        filter: filter.filter,
        filterKey: filter.key,
        since: q.since,
        timeoutMs,
        fullState: q.full_state === 'true',
        setPresence: (q.set_presence ?? 'online') as SetPresence,
        gone,
      });
    }

    // The same /sync without Fastify, for requests whose every part is already known to be
    // good: parameters well formed, token and filter in memory. Anything else is declined
    // and the route below answers it, errors included.
    if (d.fast) {
      const parseQuery = new QueryParser().parse;
      d.fast.add(`${app.prefix}/sync`, (req, res, qs, reply) => {
        const q = acceptedParams(parseQuery(qs));
        if (!q) return false;
        const token = bearerToken(req.headers.authorization, q.access_token);
        const session = token === undefined ? undefined : d.users.cachedSession(token);
        if (!session) return false;
        let filter: Resolved | undefined;
        try {
          filter = knownFilter(session.userId, q.filter);
          if (q.since !== undefined) decodeSyncToken(q.since);
        } catch {
          return false;
        }
        if (!filter) return false;
        runSync(session, q, filter, (fn) => res.once('close', fn)).then(
          (body) => reply.json(200, JSON.stringify(body), NO_STORE),
          (e: unknown) => reply.error(e),
        );
        return true;
      });
    }

    app.post('/user/:userId/filter', { schema: { params: Type.Object({ userId: Type.String() }), body: Type.Object({}, { additionalProperties: true }) } }, async (req) => {
      const s = await d.auth(req);
      if (req.params.userId !== s.userId) throw new MatrixError(403, 'M_FORBIDDEN', 'Cannot create filters for other users');
      const filter = parseFilter(req.body);
      const id = await d.userData.createFilter(s.userId, JSON.stringify(filter));
      return { filter_id: String(id) };
    });

    app.get('/user/:userId/filter/:filterId', { schema: { params: Type.Object({ userId: Type.String(), filterId: Type.String() }) } }, async (req) => {
      const s = await d.auth(req);
      if (!isUserId(req.params.userId)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid user ID');
      if (req.params.userId !== s.userId) throw new MatrixError(403, 'M_FORBIDDEN', "Cannot read other users' filters");
      if (!/^[0-9]{1,15}$/.test(req.params.filterId)) throw notFound('No such filter');
      const text = await d.userData.getFilter(s.userId, Number(req.params.filterId));
      if (text === undefined) throw notFound('No such filter');
      return JSON.parse(text) as unknown;
    });

    app.get('/sync', { schema: { querystring: SyncQuery } }, async (req, reply) => {
      const s = await d.auth(req);
      const q = req.query;
      if (q.set_presence !== undefined && !SET_PRESENCE.has(q.set_presence)) throw new MatrixError(400, 'M_INVALID_PARAM', 'set_presence must be online, unavailable or offline');
      const filter = await resolveFilter(s.userId, q.filter);
      const res = await runSync(s, q, filter, (fn) => reply.raw.once('close', fn));
      void reply.header('Cache-Control', 'no-store');
      return res;
    });
  };
}

type SyncParams = { since?: string; timeout?: string; full_state?: string; set_presence?: string; filter?: string; access_token?: string };

const NO_STORE = { 'cache-control': 'no-store' };
const TIMEOUT_RE = /^[0-9]{1,10}$/;

/** The query when the route's schema and checks would accept it as it is; else undefined. */
function acceptedParams(raw: Record<string, string | string[]>): SyncParams | undefined {
  for (const k in raw) if (typeof raw[k] !== 'string') return undefined;
  const q = raw as SyncParams;
  if (q.timeout !== undefined && !TIMEOUT_RE.test(q.timeout)) return undefined;
  if (q.set_presence !== undefined && !SET_PRESENCE.has(q.set_presence)) return undefined;
  return q;
}
