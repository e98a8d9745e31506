import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { forbidden, invalidParam, notFound } from '../../common/errors.js';
import { isUserId } from '../../common/ids.js';
import { selfDetail } from '../../presence/index.js';
import type { DeviceRow, UserRow } from '../../users/index.js';
import type { AdminApiDeps } from './deps.js';

export const ADMIN_PREFIX = '/_presenced/admin/v1';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const UserParam = Type.Object({ userId: Type.String() });
const ListQuery = Type.Object({
  from: Type.Optional(Type.String()),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
});
const AnyBody = Type.Optional(Type.Object({}, { additionalProperties: true }));

const userWire = (u: UserRow) => ({
  user_id: u.userId,
  displayname: u.displayname,
  avatar_url: u.avatarUrl,
  admin: u.isAdmin,
  deactivated: u.deactivated,
  creation_ts: u.createdTs,
});

const deviceWire = (d: DeviceRow) => ({
  device_id: d.deviceId,
  display_name: d.displayName ?? undefined,
  last_seen_ts: d.lastSeenTs ?? undefined,
  last_seen_ip: d.lastSeenIp ?? undefined,
});

/** docs/admin.md. Every route needs the access token of a server admin. */
export function adminRoutes(d: AdminApiDeps): FastifyPluginAsync {
  /** The local account a path names: 400 for a malformed ID, 404 for anyone not stored here. */
  async function target(userId: string): Promise<UserRow> {
    if (!isUserId(userId)) throw invalidParam('Invalid user ID');
    const user = d.users.isLocal(userId) ? await d.users.getUser(userId) : undefined;
    if (!user) throw notFound('Unknown user');
    return user;
  }

  return async (app) => {
    // Before body parsing and schema checks: nobody but an admin learns anything from this prefix.
    app.addHook('onRequest', async (req) => {
      const s = await d.auth(req);
      if (!s.isAdmin) throw forbidden('You are not a server admin');
    });

    app.get(`${ADMIN_PREFIX}/users`, { schema: { querystring: ListQuery } }, async (req) => {
      const { from, limit: rawLimit } = req.query;
      if (from !== undefined && !isUserId(from)) throw invalidParam('from is not a token of this list');
      const limit = rawLimit === undefined ? DEFAULT_LIMIT : Math.min(Number(rawLimit), MAX_LIMIT);
      if (limit < 1) throw invalidParam('limit must be at least 1');
      const rows = await d.users.listUsers(from ?? '', limit + 1);
      const page = rows.slice(0, limit);
      const body: { users: ReturnType<typeof userWire>[]; next_token?: string } = { users: page.map(userWire) };
      if (rows.length > limit) body.next_token = page[page.length - 1].userId;
      return body;
    });

    app.get(`${ADMIN_PREFIX}/users/:userId`, { schema: { params: UserParam } }, async (req) => userWire(await target(req.params.userId)));

    app.post(`${ADMIN_PREFIX}/users/:userId/deactivate`, { schema: { params: UserParam, body: AnyBody } }, async (req) => {
      const user = await target(req.params.userId);
      if (!user.deactivated) await d.users.deactivate(user.userId);
      return {};
    });

    app.get(`${ADMIN_PREFIX}/users/:userId/sessions`, { schema: { params: UserParam } }, async (req) => {
      const user = await target(req.params.userId);
      return { user_id: user.userId, devices: (await d.users.listDevices(user.userId)).map(deviceWire) };
    });

    app.get(`${ADMIN_PREFIX}/users/:userId/presence`, { schema: { params: UserParam } }, async (req) => {
      const user = await target(req.params.userId);
      const state = d.presence.stateOf(user.userId);
      // As GET …/org.presenced/presence answers the user: nothing tracked, or presence off, is offline.
      const detail = !state || !d.presence.enabled
        ? { presence: 'offline', status_msg: null, appear_offline: false, decided_by: null, devices: [] }
        : selfDetail(state, d.clock.now(), d.config.presence);
      return { user_id: user.userId, ...detail };
    });
  };
}
