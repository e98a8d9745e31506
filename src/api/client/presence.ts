import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError, forbidden, notFound } from '../../common/errors.js';
import { isUserId } from '../../common/ids.js';
import { getStatusBody, selfDetail, type RequestedPresence } from '../../presence/index.js';
import type { ClientApiDeps } from './deps.js';

const STATES = new Set(['online', 'unavailable', 'offline', 'free_for_chat', 'hidden']);
const Params = Type.Object({ userId: Type.String() });
const PutBody = Type.Object({ presence: Type.String(), status_msg: Type.Optional(Type.Union([Type.String(), Type.Null()])) });

/** Presence (spec: "Presence"; DESIGN §1). */
export function presenceRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.put('/presence/:userId/status', { schema: { params: Params, body: PutBody } }, async (req) => {
      const s = await d.auth(req);
      if (!isUserId(req.params.userId)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid user ID');
      if (req.params.userId !== s.userId) throw forbidden("You cannot set another user's presence");
      const { presence, status_msg } = req.body;
      if (!STATES.has(presence)) {
        throw new MatrixError(400, 'M_INVALID_PARAM', 'presence must be one of online, unavailable, offline, free_for_chat, hidden');
      }
      const max = d.config.presence.maxStatusMsgLength;
      if (typeof status_msg === 'string' && status_msg.length > max) {
        throw new MatrixError(400, 'M_INVALID_PARAM', `status_msg is longer than ${max} characters`);
      }
      await d.limits.presence.take(s.userId);
      await d.presence.applyDurable(s.userId, {
        kind: 'setPresence',
        deviceId: s.deviceId,
        presence: presence as RequestedPresence,
        statusMsg: status_msg ?? null,
      });
      return {};
    });

    app.get('/presence/:userId/status', { schema: { params: Params } }, async (req) => {
      const s = await d.auth(req);
      const target = req.params.userId;
      if (!isUserId(target)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid user ID');
      const user = d.users.isLocal(target) ? await d.users.getUser(target) : undefined;
      if (!user) throw notFound('Unknown user');
      if (!d.presence.visibility.canSee(s.userId, target)) throw forbidden('You do not share a room with this user');
      const state = d.presence.stateOf(target);
      if (!state || !d.presence.enabled) return { presence: 'offline', status_msg: null };
      return getStatusBody(state, d.clock.now(), d.config.presence, { self: target === s.userId });
    });
  };
}

const DeviceState = Type.Object({ state: Type.Union([Type.Literal('online'), Type.Literal('idle'), Type.Literal('offline')]) });

/** Seed 004's per-device and appear-offline APIs, under the unstable prefix (DESIGN §1.7). */
export function unstablePresenceRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    const prefix = '/_matrix/client/unstable/org.presenced';

    app.put(`${prefix}/presence/device`, { schema: { body: DeviceState } }, async (req) => {
      const s = await d.auth(req);
      await d.limits.presence.take(s.userId);
      await d.presence.applyDurable(s.userId, { kind: 'setDeviceState', deviceId: s.deviceId, state: req.body.state });
      return {};
    });

    app.put(`${prefix}/presence/appear_offline`, { schema: { body: Type.Object({ appear_offline: Type.Boolean() }) } }, async (req) => {
      const s = await d.auth(req);
      await d.limits.presence.take(s.userId);
      await d.presence.applyDurable(s.userId, { kind: 'setAppearOffline', enabled: req.body.appear_offline });
      return {};
    });

    app.get(`${prefix}/presence`, async (req) => {
      const s = await d.auth(req);
      const state = d.presence.stateOf(s.userId);
      // With presence off nothing is tracked: state left from an earlier run is not served.
      if (!state || !d.presence.enabled) return { presence: 'offline', status_msg: null, appear_offline: false, decided_by: null, devices: [] };
      return selfDetail(state, d.clock.now(), d.config.presence);
    });
  };
}
