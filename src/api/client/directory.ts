import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError, forbidden, notFound } from '../../common/errors.js';
import { isRoomAlias, isRoomId, parseId } from '../../common/ids.js';
import { userPowerLevel } from '../../rooms/auth/index.js';
import type { ClientApiDeps } from './deps.js';

const AliasParam = Type.Object({ roomAlias: Type.String() });

/** Room aliases, the public room directory and the user directory (spec: "Room discovery", "User directory"). */
export function directoryRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    const checkAlias = (alias: string) => {
      if (!isRoomAlias(alias)) throw new MatrixError(400, 'M_INVALID_PARAM', `${alias} is not a room alias`);
      if (parseId(alias, '#')!.serverName !== d.config.serverName) throw new MatrixError(400, 'M_INVALID_PARAM', 'Alias must be on this server');
    };

    app.put('/directory/room/:roomAlias', { schema: { params: AliasParam, body: Type.Object({ room_id: Type.String() }) } }, async (req) => {
      const s = await d.auth(req);
      checkAlias(req.params.roomAlias);
      if (!isRoomId(req.body.room_id) || !(await d.rooms.exists(req.body.room_id))) throw notFound('Unknown room');
      d.rooms.requireJoined(req.body.room_id, s.userId);
      if (!(await d.rooms.store.putAlias(req.params.roomAlias, req.body.room_id, s.userId))) {
        throw new MatrixError(409, 'M_UNKNOWN', 'Room alias already exists');
      }
      return {};
    });

    app.get('/directory/room/:roomAlias', { schema: { params: AliasParam } }, async (req) => {
      checkAlias(req.params.roomAlias);
      const a = await d.rooms.store.getAlias(req.params.roomAlias);
      if (!a) throw notFound('Room alias not found');
      return { room_id: a.roomId, servers: [d.config.serverName] };
    });

    app.delete('/directory/room/:roomAlias', { schema: { params: AliasParam } }, async (req) => {
      const s = await d.auth(req);
      checkAlias(req.params.roomAlias);
      const a = await d.rooms.store.getAlias(req.params.roomAlias);
      if (!a) throw notFound('Room alias not found');
      const state = await d.rooms.state(a.roomId);
      const mayManage = a.creator === s.userId || s.isAdmin || userPowerLevel(s.userId, state) >= 50;
      if (!mayManage) throw forbidden('You may not delete this alias');
      await d.rooms.store.deleteAlias(req.params.roomAlias);
      return {};
    });

    app.get('/rooms/:roomId/aliases', { schema: { params: Type.Object({ roomId: Type.String() }) } }, async (req) => {
      const s = await d.auth(req);
      d.rooms.requireJoined(req.params.roomId, s.userId);
      return { aliases: await d.rooms.store.aliasesOfRoom(req.params.roomId) };
    });

    app.get('/directory/list/room/:roomId', { schema: { params: Type.Object({ roomId: Type.String() }) } }, async (req) => {
      const room = await d.rooms.store.getRoom(req.params.roomId);
      if (!room) throw notFound('Unknown room');
      return { visibility: room.isPublic ? 'public' : 'private' };
    });

    app.put('/directory/list/room/:roomId', {
      schema: { params: Type.Object({ roomId: Type.String() }), body: Type.Object({ visibility: Type.Union([Type.Literal('public'), Type.Literal('private')]) }) },
    }, async (req) => {
      const s = await d.auth(req);
      const state = await d.rooms.state(req.params.roomId);
      if (userPowerLevel(s.userId, state) < 50 && !s.isAdmin) throw forbidden('You may not change the directory visibility of this room');
      await d.rooms.store.setRoomPublic(req.params.roomId, req.body.visibility === 'public');
      return {};
    });

    const publicRooms = async () => {
      const chunk = [];
      for (const roomId of await d.rooms.store.listPublicRooms()) {
        const st = await d.rooms.state(roomId);
        const c = (t: string) => st.get(`${t}\u0000`)?.content;
        chunk.push({
          room_id: roomId,
          name: c('m.room.name')?.name,
          topic: c('m.room.topic')?.topic,
          canonical_alias: c('m.room.canonical_alias')?.alias,
          num_joined_members: d.index.members(roomId).size,
          world_readable: c('m.room.history_visibility')?.history_visibility === 'world_readable',
          guest_can_join: c('m.room.guest_access')?.guest_access === 'can_join',
          join_rule: c('m.room.join_rules')?.join_rule,
        });
      }
      return { chunk, total_room_count_estimate: chunk.length };
    };
    app.get('/publicRooms', publicRooms);
    app.post('/publicRooms', async (req) => {
      await d.auth(req);
      return publicRooms();
    });

    app.post('/user_directory/search', {
      schema: { body: Type.Object({ search_term: Type.String({ maxLength: 255 }), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }) },
    }, async (req) => {
      const s = await d.auth(req);
      const term = req.body.search_term.toLowerCase();
      const limit = req.body.limit ?? 10;
      // Only people the searcher shares a room with, so the directory reveals nobody new.
      const results = [];
      for (const userId of d.index.coMembers(s.userId)) {
        const p = await d.users.getProfile(userId).catch(() => null);
        if (!p) continue;
        if (userId.toLowerCase().includes(term) || (p.displayname ?? '').toLowerCase().includes(term)) {
          results.push({ user_id: userId, display_name: p.displayname ?? undefined, avatar_url: p.avatar_url ?? undefined });
        }
      }
      results.sort((a, b) => a.user_id.localeCompare(b.user_id));
      return { results: results.slice(0, limit), limited: results.length > limit };
    });
  };
}
