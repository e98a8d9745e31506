import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError, forbidden, notFound } from '../../common/errors.js';
import type { JsonObject } from '../../common/events.js';
import { isRoomId } from '../../common/ids.js';
import { canRedact } from '../../rooms/auth/index.js';
import { RoomEvents, toClientEvent, type StoredEvent } from '../../rooms/index.js';
import { serveEvents, stateAt } from '../../sync/index.js';
import type { ClientApiDeps } from './deps.js';
import { AnyObject, RoomIdParam } from './schemas.js';
import { roomView } from './roomView.js';

const SendParams = Type.Object({ roomId: Type.String(), eventType: Type.String({ minLength: 1, maxLength: 255 }), txnId: Type.String({ minLength: 1, maxLength: 255 }) });
const StateParams = Type.Object({ roomId: Type.String(), eventType: Type.String({ minLength: 1, maxLength: 255 }), stateKey: Type.Optional(Type.String({ maxLength: 255 })) });
const RedactParams = Type.Object({ roomId: Type.String(), eventId: Type.String(), txnId: Type.String({ minLength: 1, maxLength: 255 }) });
const EventParams = Type.Object({ roomId: Type.String(), eventId: Type.String() });

/** Sending and reading room events (spec: "Room events", "Redactions"). */
export function roomEventRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    const checkRoom = (roomId: string) => {
      if (!isRoomId(roomId)) throw new MatrixError(400, 'M_INVALID_PARAM', `${roomId} is not a room ID`);
    };

    app.put('/rooms/:roomId/send/:eventType/:txnId', { schema: { params: SendParams, body: AnyObject } }, async (req) => {
      const s = await d.auth(req);
      checkRoom(req.params.roomId);
      await d.limits.send.take(s.userId);
      const content = RoomEvents.checkContent(req.body);
      const ev = await d.rooms.send(s.userId, req.params.roomId, req.params.eventType, content, {
        txn: { deviceId: s.deviceId, txnId: req.params.txnId },
      });
      d.activity(s);
      return { event_id: ev.pdu.event_id };
    });

    const putState = async (req: { params: { roomId: string; eventType: string; stateKey?: string }; body: unknown }, s: { userId: string; deviceId: string }) => {
      checkRoom(req.params.roomId);
      await d.limits.send.take(s.userId);
      const content = RoomEvents.checkContent(req.body);
      const ev = await d.rooms.send(s.userId, req.params.roomId, req.params.eventType, content, { stateKey: req.params.stateKey ?? '' });
      d.activity(s);
      return { event_id: ev.pdu.event_id };
    };
    app.put('/rooms/:roomId/state/:eventType', { schema: { params: StateParams, body: AnyObject } }, async (req) => putState(req, await d.auth(req)));
    app.put('/rooms/:roomId/state/:eventType/:stateKey', { schema: { params: StateParams, body: AnyObject } }, async (req) =>
      putState(req, await d.auth(req)));

    app.get('/rooms/:roomId/state', { schema: { params: RoomIdParam } }, async (req) => {
      const s = await d.auth(req);
      checkRoom(req.params.roomId);
      const view = await roomView(d, req.params.roomId, s.userId);
      const state = await stateAt(d.rooms.store, req.params.roomId, view.end);
      return serveEvents(d.rooms.store, state, { now: d.clock.now(), userId: s.userId, deviceId: s.deviceId });
    });

    const getState = async (req: { params: { roomId: string; eventType: string; stateKey?: string }; query: unknown }, userId: string) => {
      checkRoom(req.params.roomId);
      const view = await roomView(d, req.params.roomId, userId);
      const key = req.params.stateKey ?? '';
      const ev = (await stateAt(d.rooms.store, req.params.roomId, view.end)).find((e) => e.pdu.type === req.params.eventType && e.pdu.state_key === key);
      if (!ev) throw notFound('Event not found');
      if ((req.query as Record<string, unknown>).format === 'event') return toClientEvent(ev, { now: d.clock.now() });
      return ev.redactedBy ? {} : ev.pdu.content;
    };
    app.get('/rooms/:roomId/state/:eventType', { schema: { params: StateParams } }, async (req) => getState(req, (await d.auth(req)).userId));
    app.get('/rooms/:roomId/state/:eventType/:stateKey', { schema: { params: StateParams } }, async (req) => getState(req, (await d.auth(req)).userId));

    app.get('/rooms/:roomId/members', {
      schema: { params: RoomIdParam, querystring: Type.Object({ membership: Type.Optional(Type.String()), not_membership: Type.Optional(Type.String()), at: Type.Optional(Type.String()) }) },
    }, async (req) => {
      const s = await d.auth(req);
      checkRoom(req.params.roomId);
      const view = await roomView(d, req.params.roomId, s.userId);
      const { membership, not_membership } = req.query;
      const members = (await stateAt(d.rooms.store, req.params.roomId, view.end)).filter((e) => {
        if (e.pdu.type !== 'm.room.member') return false;
        const m = String(e.pdu.content.membership);
        return (membership === undefined || m === membership) && (not_membership === undefined || m !== not_membership);
      });
      return { chunk: await serveEvents(d.rooms.store, members, { now: d.clock.now(), userId: s.userId, deviceId: s.deviceId }) };
    });

    app.get('/rooms/:roomId/joined_members', { schema: { params: RoomIdParam } }, async (req) => {
      const s = await d.auth(req);
      checkRoom(req.params.roomId);
      d.rooms.requireJoined(req.params.roomId, s.userId);
      const joined: Record<string, JsonObject> = {};
      for (const ev of (await d.rooms.state(req.params.roomId)).values()) {
        if (ev.type !== 'm.room.member' || ev.content.membership !== 'join') continue;
        joined[ev.state_key!] = { display_name: ev.content.displayname ?? null, avatar_url: ev.content.avatar_url ?? null };
      }
      return { joined };
    });

    app.get('/rooms/:roomId/event/:eventId', { schema: { params: EventParams } }, async (req) => {
      const s = await d.auth(req);
      checkRoom(req.params.roomId);
      const ev = await d.rooms.getEventFor(s.userId, req.params.eventId);
      if (ev.pdu.room_id !== req.params.roomId) throw notFound('Event not found');
      return (await serveEvents(d.rooms.store, [ev], { now: d.clock.now(), userId: s.userId, deviceId: s.deviceId }))[0];
    });

    app.put('/rooms/:roomId/redact/:eventId/:txnId', { schema: { params: RedactParams, body: Type.Object({ reason: Type.Optional(Type.String()) }) } }, async (req) => {
      const s = await d.auth(req);
      checkRoom(req.params.roomId);
      await d.limits.send.take(s.userId);
      const target = await d.rooms.store.getEvent(req.params.eventId);
      if (!target || target.pdu.room_id !== req.params.roomId) throw notFound('Event not found');
      if (!canRedact(s.userId, target.pdu.sender, await d.rooms.state(req.params.roomId))) {
        throw forbidden("Your power level is too low to redact other users' events");
      }
      const content: JsonObject = {};
      if (req.body.reason !== undefined) content.reason = req.body.reason;
      const ev: StoredEvent = await d.rooms.send(s.userId, req.params.roomId, 'm.room.redaction', content, {
        redacts: req.params.eventId,
        txn: { deviceId: s.deviceId, txnId: `redact:${req.params.txnId}` },
      });
      await d.rooms.store.markRedacted(req.params.eventId, ev.pdu.event_id);
      d.activity(s);
      return { event_id: ev.pdu.event_id };
    });
  };
}
