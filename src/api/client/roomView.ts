import { forbidden } from '../../common/errors.js';
import type { ClientApiDeps } from './deps.js';

/**
 * The stretch of a room's stream a user may read: from where history visibility lets
 * them start to where their membership ended (or now, while joined).
 */
export async function roomView(d: Pick<ClientApiDeps, 'rooms'>, roomId: string, userId: string): Promise<{ start: number; end: number }> {
  const m = await d.rooms.store.membership(roomId, userId);
  const vis = String((await d.rooms.stateContent(roomId, 'm.room.history_visibility'))?.history_visibility ?? 'shared');
  if (!m || m.membership === 'invite' || m.membership === 'knock') {
    if (vis === 'world_readable') return { start: 0, end: Number.MAX_SAFE_INTEGER };
    throw forbidden(`You are not a member of ${roomId}`);
  }
  const end = m.membership === 'join' ? Number.MAX_SAFE_INTEGER : m.streamPos;
  const start = vis === 'shared' || vis === 'world_readable' ? 0 : Math.max(0, (await d.rooms.visibleFrom(roomId, userId, vis)) - 1);
  return { start, end };
}
