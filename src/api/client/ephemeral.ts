import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError, forbidden, notFound } from '../../common/errors.js';
import { isRoomId } from '../../common/ids.js';
import type { ClientApiDeps } from './deps.js';

const RECEIPT_TYPES = new Set(['m.read', 'm.read.private', 'm.fully_read']);

/** Typing, receipts and read markers (spec: "Typing Notifications", "Receipts", "Fully read markers"). */
export function ephemeralRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    const requireJoined = (roomId: string, userId: string) => {
      if (!isRoomId(roomId)) throw new MatrixError(400, 'M_INVALID_PARAM', `${roomId} is not a room ID`);
      if (!d.index.isJoined(roomId, userId)) throw forbidden(`You are not joined to ${roomId}`);
    };

    async function receipt(userId: string, roomId: string, type: string, eventId: string, threadId: string): Promise<void> {
      const ev = await d.rooms.store.getEvent(eventId);
      if (!ev || ev.pdu.room_id !== roomId) throw notFound('Event not found');
      if (type === 'm.fully_read') {
        const pos = await d.userData.putAccountData(userId, roomId, 'm.fully_read', { event_id: eventId });
        d.feeds.accountData(userId, pos);
        return;
      }
      const pos = await d.receipts.putReceipt({ roomId, userId, receiptType: type, threadId, eventId, ts: d.clock.now() });
      d.feeds.receipt(roomId, pos);
    }

    app.put('/rooms/:roomId/typing/:userId', {
      schema: {
        params: Type.Object({ roomId: Type.String(), userId: Type.String() }),
        body: Type.Object({ typing: Type.Boolean(), timeout: Type.Optional(Type.Integer({ minimum: 0 })) }),
      },
    }, async (req) => {
      const s = await d.auth(req);
      if (req.params.userId !== s.userId) throw forbidden('Cannot set typing for another user');
      requireJoined(req.params.roomId, s.userId);
      d.typing.set(req.params.roomId, s.userId, req.body.typing, req.body.timeout ?? 30_000);
      // typing:false may come from a client timer with no user action, so only true is activity.
      if (req.body.typing) d.activity(s);
      return {};
    });

    app.post('/rooms/:roomId/receipt/:receiptType/:eventId', {
      schema: {
        params: Type.Object({ roomId: Type.String(), receiptType: Type.String(), eventId: Type.String() }),
        body: Type.Optional(Type.Object({ thread_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }, { additionalProperties: true })),
      },
    }, async (req) => {
      const s = await d.auth(req);
      const { roomId, receiptType, eventId } = req.params;
      if (!RECEIPT_TYPES.has(receiptType)) throw new MatrixError(400, 'M_INVALID_PARAM', `Unknown receipt type ${receiptType}`);
      requireJoined(roomId, s.userId);
      const threadId = req.body?.thread_id === 'main' ? '' : (req.body?.thread_id ?? '');
      await receipt(s.userId, roomId, receiptType, eventId, threadId);
      d.activity(s);
      return {};
    });

    app.post('/rooms/:roomId/read_markers', {
      schema: {
        params: Type.Object({ roomId: Type.String() }),
        body: Type.Object({
          'm.fully_read': Type.Optional(Type.String()),
          'm.read': Type.Optional(Type.String()),
          'm.read.private': Type.Optional(Type.String()),
        }),
      },
    }, async (req) => {
      const s = await d.auth(req);
      requireJoined(req.params.roomId, s.userId);
      for (const type of ['m.fully_read', 'm.read', 'm.read.private'] as const) {
        const eventId = req.body[type];
        if (eventId !== undefined) await receipt(s.userId, req.params.roomId, type, eventId, '');
      }
      d.activity(s);
      return {};
    });
  };
}
