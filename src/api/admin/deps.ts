import type { Clock } from '../../common/clock.js';
import type { Authenticator } from '../../http/index.js';
import type { Presence, PresenceTimers } from '../../presence/index.js';
import type { UsersService } from '../../users/index.js';

/** What the admin routes are given: the narrow slices of the services they call. */
export interface AdminApiDeps {
  clock: Clock;
  auth: Authenticator;
  users: Pick<UsersService, 'isLocal' | 'getUser' | 'listUsers' | 'listDevices' | 'deactivate'>;
  presence: Pick<Presence, 'stateOf' | 'enabled'>;
  config: { presence: PresenceTimers };
}
