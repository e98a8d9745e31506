import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError } from '../../common/errors.js';
import type { CreateRoomRequest } from '../../rooms/index.js';
import type { ClientApiDeps } from './deps.js';
import { OptionalReason, RoomIdParam } from './schemas.js';

const StateEvent = Type.Object({ type: Type.String(), state_key: Type.Optional(Type.String()), content: Type.Object({}, { additionalProperties: true }) });

const CreateRoomBody = Type.Object({
  visibility: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')])),
  room_alias_name: Type.Optional(Type.String({ maxLength: 200 })),
  name: Type.Optional(Type.String({ maxLength: 1000 })),
  topic: Type.Optional(Type.String({ maxLength: 10000 })),
  invite: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
  invite_3pid: Type.Optional(Type.Array(Type.Any())),
  room_version: Type.Optional(Type.String()),
  creation_content: Type.Optional(Type.Object({}, { additionalProperties: true })),
  initial_state: Type.Optional(Type.Array(StateEvent, { maxItems: 100 })),
  preset: Type.Optional(Type.Union([Type.Literal('private_chat'), Type.Literal('public_chat'), Type.Literal('trusted_private_chat')])),
  is_direct: Type.Optional(Type.Boolean()),
  power_level_content_override: Type.Optional(Type.Object({}, { additionalProperties: true })),
});

const TargetBody = Type.Object({ user_id: Type.String(), reason: Type.Optional(Type.String()) });
const Reason = Type.Optional(OptionalReason);

/** Room creation and membership (spec: "Rooms", "Room membership"). */
export function membershipRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.post('/createRoom', { schema: { body: CreateRoomBody } }, async (req) => {
      const s = await d.auth(req);
      await d.limits.send.take(s.userId);
      if (req.body.invite_3pid?.length) throw new MatrixError(400, 'M_UNKNOWN', 'Third-party invites are not supported');
      const roomId = await d.creator.create(s.userId, req.body as CreateRoomRequest);
      d.activity(s);
      return { room_id: roomId };
    });

    app.post('/join/:roomIdOrAlias', { schema: { params: Type.Object({ roomIdOrAlias: Type.String() }), body: Reason } }, async (req) => {
      const s = await d.auth(req);
      const roomId = await d.members.join(s.userId, req.params.roomIdOrAlias, req.body?.reason);
      d.activity(s);
      return { room_id: roomId };
    });

    app.post('/rooms/:roomId/join', { schema: { params: RoomIdParam, body: Reason } }, async (req) => {
      const s = await d.auth(req);
      const roomId = await d.members.join(s.userId, req.params.roomId, req.body?.reason);
      d.activity(s);
      return { room_id: roomId };
    });

    app.post('/rooms/:roomId/invite', { schema: { params: RoomIdParam, body: TargetBody } }, async (req) => {
      const s = await d.auth(req);
      await d.members.invite(s.userId, req.params.roomId, req.body.user_id, req.body.reason);
      d.activity(s);
      return {};
    });

    app.post('/rooms/:roomId/leave', { schema: { params: RoomIdParam, body: Reason } }, async (req) => {
      const s = await d.auth(req);
      await d.members.leave(s.userId, req.params.roomId, req.body?.reason);
      d.activity(s);
      return {};
    });

    app.post('/rooms/:roomId/forget', { schema: { params: RoomIdParam } }, async (req) => {
      const s = await d.auth(req);
      await d.members.forget(s.userId, req.params.roomId);
      return {};
    });

    app.post('/rooms/:roomId/kick', { schema: { params: RoomIdParam, body: TargetBody } }, async (req) => {
      const s = await d.auth(req);
      await d.members.kick(s.userId, req.params.roomId, req.body.user_id, req.body.reason);
      d.activity(s);
      return {};
    });

    app.post('/rooms/:roomId/ban', { schema: { params: RoomIdParam, body: TargetBody } }, async (req) => {
      const s = await d.auth(req);
      await d.members.ban(s.userId, req.params.roomId, req.body.user_id, req.body.reason);
      d.activity(s);
      return {};
    });

    app.post('/rooms/:roomId/unban', { schema: { params: RoomIdParam, body: TargetBody } }, async (req) => {
      const s = await d.auth(req);
      await d.members.unban(s.userId, req.params.roomId, req.body.user_id, req.body.reason);
      d.activity(s);
      return {};
    });

    app.get('/joined_rooms', async (req) => {
      const s = await d.auth(req);
      return { joined_rooms: [...d.index.roomsOf(s.userId)] };
    });
  };
}
