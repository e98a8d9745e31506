import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { accountDataRoutes } from './accountData.js';
import { authRoutes } from './auth.js';
import type { ClientApiDeps } from './deps.js';
import { deviceRoutes } from './devices.js';
import { directoryRoutes } from './directory.js';
import { ephemeralRoutes } from './ephemeral.js';
import { membershipRoutes } from './membership.js';
import { messagesRoutes } from './messages.js';
import { capabilityRoutes, discoveryRoutes, notYetBuiltRoutes, toDeviceRoutes } from './misc.js';
import { presenceRoutes, unstablePresenceRoutes } from './presence.js';
import { profileRoutes } from './profile.js';
import { pushRuleRoutes } from './pushRules.js';
import { roomEventRoutes } from './roomEvents.js';
import { syncRoutes } from './sync.js';

export type { ClientApiDeps } from './deps.js';

/** Every Client-Server chapter, to mount under /_matrix/client/v3 (and r0). */
export function clientRoutes(d: ClientApiDeps): FastifyPluginAsync[] {
  return [
    authRoutes(d),
    deviceRoutes(d),
    profileRoutes(d),
    membershipRoutes(d),
    roomEventRoutes(d),
    messagesRoutes(d),
    ephemeralRoutes(d),
    accountDataRoutes(d),
    pushRuleRoutes(d),
    directoryRoutes(d),
    syncRoutes(d),
    presenceRoutes(d),
    capabilityRoutes(d),
    toDeviceRoutes(d),
    notYetBuiltRoutes(d),
  ];
}

/** Client-Server routes anyone may call, without an access token (after the v3 / r0 prefix). */
const PUBLIC_ROUTES = new Set([
  'GET /login', 'POST /login', 'POST /register', 'GET /register/available',
  'GET /profile/:userId', 'GET /profile/:userId/:field',
  'GET /directory/room/:roomAlias', 'GET /directory/list/room/:roomId', 'GET /publicRooms',
]);

/** Whether a route (as registered, prefix included) needs no access token. */
export function isPublicRoute(method: string, route: string): boolean {
  const path = route.replace(/^\/_matrix\/client\/(v3|r0)/, '');
  return PUBLIC_ROUTES.has(`${method} ${path}`);
}

export function clientRootRoutes(d: ClientApiDeps): FastifyPluginAsync[] {
  return [discoveryRoutes(d), unstablePresenceRoutes(d)];
}
