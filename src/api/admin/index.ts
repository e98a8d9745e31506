export { adminRoutes, ADMIN_PREFIX } from './routes.js';
export type { AdminApiDeps } from './deps.js';
