import { MatrixError, forbidden, notFound } from '../common/errors.js';
import type { JsonObject } from '../common/events.js';
import { isRoomAlias, isRoomId, isUserId } from '../common/ids.js';
import type { RoomEvents } from './service.js';

export type ProfileLookup = (userId: string) => Promise<{ displayname: string | null; avatar_url: string | null }>;

/**
 * Membership changes. Every member event the server creates carries the target's
 * displayname and avatar_url (seeds 000 and 003).
 */
export class Memberships {
  constructor(
    private readonly rooms: RoomEvents,
    private readonly profileOf: ProfileLookup,
  ) {}

  private async memberContent(target: string, membership: string, extra: JsonObject = {}): Promise<JsonObject> {
    let profile = { displayname: null as string | null, avatar_url: null as string | null };
    try {
      profile = await this.profileOf(target);
    } catch {
      // Unknown or deactivated users have no profile; the fields stay null.
    }
    const content: JsonObject = { membership, displayname: profile.displayname, avatar_url: profile.avatar_url, ...extra };
    return content;
  }

  async resolveRoom(idOrAlias: string): Promise<string> {
    if (isRoomId(idOrAlias)) return idOrAlias;
    if (isRoomAlias(idOrAlias)) {
      const a = await this.rooms.store.getAlias(idOrAlias);
      if (!a) throw notFound(`Room alias ${idOrAlias} not found`);
      return a.roomId;
    }
    throw new MatrixError(400, 'M_INVALID_PARAM', `${idOrAlias} is not a room ID or alias`);
  }

  async join(userId: string, idOrAlias: string, reason?: string): Promise<string> {
    const roomId = await this.resolveRoom(idOrAlias);
    if (!(await this.rooms.exists(roomId))) throw notFound('Unknown room');
    const current = await this.rooms.store.membership(roomId, userId);
    if (current?.membership === 'join') return roomId;
    await this.rooms.send(userId, roomId, 'm.room.member', await this.memberContent(userId, 'join', reasonField(reason)), { stateKey: userId });
    return roomId;
  }

  async invite(sender: string, roomId: string, target: string, reason?: string, isDirect = false): Promise<void> {
    this.checkUser(target);
    await this.requireRoom(roomId);
    const extra: JsonObject = reasonField(reason);
    if (isDirect) extra.is_direct = true;
    await this.rooms.send(sender, roomId, 'm.room.member', await this.memberContent(target, 'invite', extra), { stateKey: target });
  }

  async leave(userId: string, roomId: string, reason?: string): Promise<void> {
    await this.requireRoom(roomId);
    const current = await this.rooms.store.membership(roomId, userId);
    if (!current || current.membership === 'leave') return;
    if (current.membership === 'ban') throw forbidden('You are banned from this room');
    await this.rooms.send(userId, roomId, 'm.room.member', await this.memberContent(userId, 'leave', reasonField(reason)), { stateKey: userId });
  }

  async kick(sender: string, roomId: string, target: string, reason?: string): Promise<void> {
    this.checkUser(target);
    await this.requireRoom(roomId);
    const current = await this.rooms.store.membership(roomId, target);
    if (!current || !['join', 'invite', 'knock'].includes(current.membership)) throw forbidden(`${target} is not in the room`);
    await this.rooms.send(sender, roomId, 'm.room.member', await this.memberContent(target, 'leave', reasonField(reason)), { stateKey: target });
  }

  async ban(sender: string, roomId: string, target: string, reason?: string): Promise<void> {
    this.checkUser(target);
    await this.requireRoom(roomId);
    await this.rooms.send(sender, roomId, 'm.room.member', await this.memberContent(target, 'ban', reasonField(reason)), { stateKey: target });
  }

  async unban(sender: string, roomId: string, target: string, reason?: string): Promise<void> {
    this.checkUser(target);
    await this.requireRoom(roomId);
    const current = await this.rooms.store.membership(roomId, target);
    if (current?.membership !== 'ban') throw forbidden(`${target} is not banned`);
    await this.rooms.send(sender, roomId, 'm.room.member', await this.memberContent(target, 'leave', reasonField(reason)), { stateKey: target });
  }

  async forget(userId: string, roomId: string): Promise<void> {
    const current = await this.rooms.store.membership(roomId, userId);
    if (!current) throw notFound('You have never been in this room');
    if (current.membership === 'join' || current.membership === 'invite') {
      throw new MatrixError(400, 'M_UNKNOWN', 'You must leave the room before forgetting it');
    }
    await this.rooms.store.setForgotten(roomId, userId);
    this.rooms.forgotten(roomId, userId);
  }

  /** Re-sends the user's member event with their new profile in every joined room (seed 000). */
  async profileChanged(userId: string, rooms: Iterable<string>): Promise<void> {
    for (const roomId of rooms) {
      const state = await this.rooms.stateContent(roomId, 'm.room.member', userId);
      if (state?.membership !== 'join') continue;
      const content = await this.memberContent(userId, 'join');
      try {
        await this.rooms.send(userId, roomId, 'm.room.member', content, { stateKey: userId });
      } catch (e) {
        // A room whose rules refuse the update must not stop the others from getting it.
        if (!(e instanceof MatrixError)) throw e;
      }
    }
  }

  private checkUser(target: string) {
    if (!isUserId(target)) throw new MatrixError(400, 'M_INVALID_PARAM', `${String(target)} is not a valid user ID`);
  }

  private async requireRoom(roomId: string) {
    if (!isRoomId(roomId)) throw new MatrixError(400, 'M_INVALID_PARAM', `${roomId} is not a room ID`);
    if (!(await this.rooms.exists(roomId))) throw notFound('Unknown room');
  }
}

function reasonField(reason?: string): JsonObject {
  return typeof reason === 'string' && reason !== '' ? { reason } : {};
}
