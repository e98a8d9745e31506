import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { DeviceRow } from '../../users/index.js';
import { passwordUia } from './auth.js';
import type { ClientApiDeps } from './deps.js';

const wire = (d: DeviceRow) => ({
  device_id: d.deviceId,
  display_name: d.displayName ?? undefined,
  last_seen_ts: d.lastSeenTs ?? undefined,
  last_seen_ip: d.lastSeenIp ?? undefined,
});

const DeviceParam = Type.Object({ deviceId: Type.String() });
const AuthBody = Type.Object({ auth: Type.Optional(Type.Object({}, { additionalProperties: true })) });

/** Device management (spec: "Device Management"). */
export function deviceRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/devices', async (req) => {
      const s = await d.auth(req);
      return { devices: (await d.users.listDevices(s.userId)).map(wire) };
    });

    app.get('/devices/:deviceId', { schema: { params: DeviceParam } }, async (req) => {
      const s = await d.auth(req);
      return wire(await d.users.getDevice(s.userId, req.params.deviceId));
    });

    app.put('/devices/:deviceId', { schema: { params: DeviceParam, body: Type.Object({ display_name: Type.Optional(Type.String({ maxLength: 1000 })) }) } }, async (req) => {
      const s = await d.auth(req);
      await d.users.renameDevice(s.userId, req.params.deviceId, req.body.display_name ?? null);
      return {};
    });

    app.delete('/devices/:deviceId', { schema: { params: DeviceParam, body: Type.Optional(AuthBody) } }, async (req) => {
      const s = await d.auth(req);
      await d.users.getDevice(s.userId, req.params.deviceId);
      await passwordUia(d, s.userId, req.body?.auth);
      await d.users.removeDevice(s.userId, req.params.deviceId);
      return {};
    });

    app.post('/delete_devices', { schema: { body: Type.Object({ devices: Type.Array(Type.String()), auth: Type.Optional(Type.Object({}, { additionalProperties: true })) }) } }, async (req) => {
      const s = await d.auth(req);
      await passwordUia(d, s.userId, req.body.auth);
      for (const id of req.body.devices) await d.users.removeDevice(s.userId, id);
      return {};
    });
  };
}
