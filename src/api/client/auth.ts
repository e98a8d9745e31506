import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError, forbidden } from '../../common/errors.js';
import { parseId } from '../../common/ids.js';
import type { ClientApiDeps } from './deps.js';

const Identifier = Type.Object({ type: Type.String(), user: Type.Optional(Type.String()) }, { additionalProperties: true });

const LoginBody = Type.Object({
  type: Type.String(),
  identifier: Type.Optional(Identifier),
  user: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  device_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  initial_device_display_name: Type.Optional(Type.String({ maxLength: 1000 })),
  refresh_token: Type.Optional(Type.Boolean()),
});

const RegisterBody = Type.Object({
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String({ maxLength: 512 })),
  device_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  initial_device_display_name: Type.Optional(Type.String({ maxLength: 1000 })),
  inhibit_login: Type.Optional(Type.Boolean()),
  auth: Type.Optional(Type.Object({}, { additionalProperties: true })),
  refresh_token: Type.Optional(Type.Boolean()),
});

/** Login, registration and logout (spec: "Client Authentication", "Account registration"). */
export function authRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/login', async () => ({ flows: [{ type: 'm.login.password' }] }));

    app.post('/login', { schema: { body: LoginBody } }, async (req) => {
      await d.limits.login.take(`ip:${req.ip}`);
      const b = req.body;
      if (b.type !== 'm.login.password') throw new MatrixError(400, 'M_UNKNOWN', `Unsupported login type ${b.type}`);
      let user = b.user;
      if (b.identifier) {
        if (b.identifier.type !== 'm.id.user') throw new MatrixError(400, 'M_UNKNOWN', `Unsupported identifier type ${b.identifier.type}`);
        user = b.identifier.user;
      }
      if (typeof user !== 'string' || user === '') throw new MatrixError(400, 'M_MISSING_PARAM', 'Missing user identifier');
      if (typeof b.password !== 'string') throw new MatrixError(400, 'M_MISSING_PARAM', 'Missing password');
      if (user.startsWith('@') && parseId(user, '@') === null) throw new MatrixError(400, 'M_INVALID_USERNAME', 'Invalid user ID');
      await d.limits.login.take(`user:${user.toLowerCase()}`);
      return d.users.login(user, b.password, b.device_id, b.initial_device_display_name ?? null);
    });

    app.get('/register/available', { schema: { querystring: Type.Object({ username: Type.String() }) } }, async (req) => {
      await d.limits.register.take(`ip:${req.ip}`);
      if (!(await d.users.isAvailable(req.query.username))) throw new MatrixError(400, 'M_USER_IN_USE', 'That user ID is already taken');
      return { available: true };
    });

    app.post('/register', { schema: { body: RegisterBody, querystring: Type.Object({ kind: Type.Optional(Type.String()) }) } }, async (req) => {
      if (req.query.kind === 'guest') throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access is not enabled');
      if (!d.registrationOpen) throw new MatrixError(403, 'M_FORBIDDEN', 'Registration is disabled');
      const b = req.body;
      const localpart = (b.username ?? `user${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`).toLowerCase();
      // Check the name before the auth dance, so clients learn of a bad or taken name first.
      if (!(await d.users.isAvailable(localpart))) throw new MatrixError(400, 'M_USER_IN_USE', 'That user ID is already taken');
      await d.uia.check(b.auth, [{ stages: ['m.login.dummy'] }], async () => undefined);
      await d.limits.register.take(`ip:${req.ip}`);
      if (b.password === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', 'Missing password');
      return d.users.register({
        localpart,
        password: b.password,
        deviceId: b.device_id,
        deviceName: b.initial_device_display_name ?? null,
        inhibitLogin: b.inhibit_login === true,
      });
    });

    app.post('/logout', async (req) => {
      const s = await d.auth(req);
      const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '') || String((req.query as Record<string, unknown>).access_token ?? '');
      await d.users.logout(token, s);
      return {};
    });

    app.post('/logout/all', async (req) => {
      const s = await d.auth(req);
      await d.users.logoutAll(s.userId);
      return {};
    });

    app.get('/account/whoami', async (req) => {
      const s = await d.auth(req);
      return { user_id: s.userId, device_id: s.deviceId, is_guest: false };
    });

    app.post('/account/deactivate', { schema: { body: Type.Object({ auth: Type.Optional(Type.Object({}, { additionalProperties: true })) }) } }, async (req) => {
      const s = await d.auth(req);
      await passwordUia(d, s.userId, req.body.auth);
      await d.users.deactivate(s.userId);
      return { id_server_unbind_result: 'no-support' };
    });

    app.post('/account/password', {
      schema: { body: Type.Object({ new_password: Type.String({ minLength: 1, maxLength: 512 }), logout_devices: Type.Optional(Type.Boolean()), auth: Type.Optional(Type.Object({}, { additionalProperties: true })) }) },
    }, async (req) => {
      const s = await d.auth(req);
      await passwordUia(d, s.userId, req.body.auth);
      await d.users.setPassword(s.userId, req.body.new_password);
      if (req.body.logout_devices !== false) {
        for (const dev of await d.users.listDevices(s.userId)) if (dev.deviceId !== s.deviceId) await d.users.removeDevice(s.userId, dev.deviceId);
      }
      return {};
    });
  };
}

/** Password confirmation through user-interactive auth, for destructive account actions. */
export async function passwordUia(d: ClientApiDeps, userId: string, auth: unknown): Promise<void> {
  await d.uia.check(auth, [{ stages: ['m.login.password'] }], async (_type, a) => {
    const ident = a.identifier as { user?: unknown } | undefined;
    const who = typeof ident?.user === 'string' ? ident.user : typeof a.user === 'string' ? a.user : userId;
    const whoId = who.startsWith('@') ? who : d.users.userId(who);
    if (whoId !== userId) throw forbidden('You can only authenticate as yourself');
    if (typeof a.password !== 'string') throw new MatrixError(400, 'M_MISSING_PARAM', 'Missing password');
    await d.users.checkPassword(userId, a.password);
  });
}
