import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError, notFound } from '../../common/errors.js';
import { isUserId } from '../../common/ids.js';
import { ClientGone, parseFilter, type Filter, type SetPresence } from '../../sync/index.js';
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

    async function resolveFilter(userId: string, param: string | undefined): Promise<{ filter: Filter; key: string }> {
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
      const cacheKey = `${userId}\u0000${param}`;
      let filter = filterCache.get(cacheKey);
      if (!filter) {
        const text = await d.userData.getFilter(userId, Number(param));
        if (text === undefined) throw notFound('No such filter');
        filter = parseFilter(JSON.parse(text));
        if (filterCache.size > 10_000) filterCache.clear();
        filterCache.set(cacheKey, filter);
      }
      return { filter, key: `id:${param}` };
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
      const setPresence = q.set_presence ?? 'online';
      if (!SET_PRESENCE.has(setPresence)) throw new MatrixError(400, 'M_INVALID_PARAM', 'set_presence must be online, unavailable or offline');
      const { filter, key } = await resolveFilter(s.userId, q.filter);
      const timeoutMs = Math.min(q.timeout === undefined ? 0 : Number(q.timeout), d.config.limits.maxSyncTimeoutMs);
      const gone = new ClientGone();
      // The response socket closing before we answer means the client gave up on this long-poll.
      reply.raw.once('close', () => gone.fire());
      const res = await d.sync.sync({
        userId: s.userId,
        deviceId: s.deviceId,
        filter,
        filterKey: key,
        since: q.since,
        timeoutMs,
        fullState: q.full_state === 'true',
        setPresence: setPresence as SetPresence,
        gone,
      });
      void reply.header('Cache-Control', 'no-store');
      return res;
    });
  };
}
