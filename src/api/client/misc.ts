import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError } from '../../common/errors.js';
import { isUserId } from '../../common/ids.js';
import type { ClientApiDeps } from './deps.js';

/** Versions, capabilities and well-known: what a client reads before anything else. */
export function discoveryRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/_matrix/client/versions', async () => ({
      versions: ['r0.6.1', 'v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11'],
      unstable_features: { 'org.presenced.presence': d.config.presence.enabled },
    }));
    app.get('/.well-known/matrix/client', async () => ({
      'm.homeserver': { base_url: d.config.publicBaseUrl || `http://${d.config.bind}:${d.config.port}` },
    }));
  };
}

export function capabilityRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/capabilities', async (req) => {
      await d.auth(req);
      return {
        capabilities: {
          'm.change_password': { enabled: true },
          'm.room_versions': { default: '10', available: { '10': 'stable' } },
          'm.set_displayname': { enabled: true },
          'm.set_avatar_url': { enabled: true },
          'm.3pid_changes': { enabled: false },
          'org.presenced.presence': { enabled: d.config.presence.enabled },
        },
      };
    });
  };
}

const ToDeviceBody = Type.Object({
  messages: Type.Record(Type.String(), Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }))),
});

/** To-device messaging (spec: "Send-to-Device messaging"). */
export function toDeviceRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.put('/sendToDevice/:eventType/:txnId', {
      schema: { params: Type.Object({ eventType: Type.String({ minLength: 1, maxLength: 255 }), txnId: Type.String({ minLength: 1, maxLength: 255 }) }), body: ToDeviceBody },
    }, async (req) => {
      const s = await d.auth(req);
      await d.limits.send.take(s.userId);
      const targets: { userId: string; deviceId: string; content: Record<string, unknown> }[] = [];
      for (const [userId, devices] of Object.entries(req.body.messages)) {
        if (!isUserId(userId)) throw new MatrixError(400, 'M_INVALID_PARAM', `${userId} is not a user ID`);
        if (!d.users.isLocal(userId)) continue;
        for (const [deviceId, body] of Object.entries(devices)) {
          const content = body as Record<string, unknown>;
          if (deviceId === '*') {
            for (const dev of await d.users.listDevices(userId)) targets.push({ userId, deviceId: dev.deviceId, content });
          } else {
            targets.push({ userId, deviceId, content });
          }
        }
      }
      if (targets.length === 0) return {};
      const pos = await d.toDevice.addToDevice(s.userId, req.params.eventType, targets);
      d.feeds.toDevice(new Set(targets.map((t) => t.userId)), pos);
      return {};
    });
  };
}

/**
 * Endpoints clients call at start-up for features not built yet (end-to-end encryption
 * keys, TURN, third-party networks, push gateways). Each answers the spec's shape with
 * empty content, so a client carries on without the feature. Listed in docs/api.md.
 */
export function notYetBuiltRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.post('/keys/upload', async (req) => {
      await d.auth(req);
      return { one_time_key_counts: {} };
    });
    app.post('/keys/query', async (req) => {
      await d.auth(req);
      return { device_keys: {}, failures: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
    });
    app.post('/keys/claim', async (req) => {
      await d.auth(req);
      return { one_time_keys: {}, failures: {} };
    });
    app.get('/keys/changes', async (req) => {
      await d.auth(req);
      return { changed: [], left: [] };
    });
    app.get('/room_keys/version', async (req) => {
      await d.auth(req);
      throw new MatrixError(404, 'M_NOT_FOUND', 'No current backup version');
    });
    app.get('/voip/turnServer', async (req) => {
      await d.auth(req);
      return {};
    });
    app.get('/thirdparty/protocols', async (req) => {
      await d.auth(req);
      return {};
    });
    app.get('/pushers', async (req) => {
      await d.auth(req);
      return { pushers: [] };
    });
    app.post('/pushers/set', async (req) => {
      await d.auth(req);
      return {};
    });
    app.get('/notifications', async (req) => {
      await d.auth(req);
      return { notifications: [] };
    });
  };
}
