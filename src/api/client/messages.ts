import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError } from '../../common/errors.js';
import { isRoomId } from '../../common/ids.js';
import type { StoredEvent } from '../../rooms/index.js';
import { decodeRoomToken, encodeRoomToken, matchesEventFilter, parseFilter, serveEvents, type RoomEventFilter } from '../../sync/index.js';
import type { ClientApiDeps } from './deps.js';
import { RoomIdParam } from './schemas.js';
import { roomView } from './roomView.js';

const Query = Type.Object({
  from: Type.Optional(Type.String()),
  to: Type.Optional(Type.String()),
  dir: Type.Union([Type.Literal('b'), Type.Literal('f')]),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
  filter: Type.Optional(Type.String({ maxLength: 8192 })),
});

const MAX_LIMIT = 1000;
const MAX_SCAN_BATCHES = 20;

function parseRoomFilter(text: string | undefined): RoomEventFilter | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MatrixError(400, 'M_NOT_JSON', 'filter is not JSON');
  }
  // A RoomEventFilter has the same shape as a room timeline filter.
  return parseFilter({ room: { timeline: json } }).room?.timeline;
}

/** /messages: pages through what the caller may see of a room's history. */
export function messagesRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/rooms/:roomId/messages', { schema: { params: RoomIdParam, querystring: Query } }, async (req) => {
      const s = await d.auth(req);
      const { roomId } = req.params;
      if (!isRoomId(roomId)) throw new MatrixError(400, 'M_INVALID_PARAM', `${roomId} is not a room ID`);
      const q = req.query;
      const limit = Math.min(q.limit === undefined ? 10 : Number(q.limit), MAX_LIMIT);
      const filter = parseRoomFilter(q.filter);
      const view = await roomView(d, roomId, s.userId);
      const head = (await d.rooms.store.latestEvent(roomId))?.streamPos ?? 0;
      const from = q.from !== undefined ? decodeRoomToken(q.from).stream : q.dir === 'b' ? head : 0;
      const to = q.to !== undefined ? decodeRoomToken(q.to).stream : undefined;
      const lower = Math.max(view.start, q.dir === 'b' && to !== undefined ? to : 0);
      const upper = Math.min(view.end, q.dir === 'f' && to !== undefined ? to : Number.MAX_SAFE_INTEGER, head);

      const chunk: StoredEvent[] = [];
      let cursor = from;
      let exhausted = false;
      // Filtered-out events are skipped by reading further, a bounded number of batches.
      for (let i = 0; i < MAX_SCAN_BATCHES && chunk.length < limit && !exhausted; i++) {
        const batch = q.dir === 'b'
          ? await d.rooms.store.roomEvents(roomId, lower, Math.min(cursor, upper), 'b', limit)
          : await d.rooms.store.roomEvents(roomId, Math.max(cursor, lower), upper, 'f', limit);
        if (batch.length < limit) exhausted = true;
        for (const ev of batch) {
          cursor = q.dir === 'b' ? ev.streamPos - 1 : ev.streamPos;
          if (matchesEventFilter(filter, { ...ev.pdu, room_id: roomId })) chunk.push(ev);
          if (chunk.length >= limit) break;
        }
        if (batch.length === 0) exhausted = true;
      }
      const out: Record<string, unknown> = {
        start: q.from ?? encodeRoomToken({ stream: from }),
        chunk: await serveEvents(d.rooms.store, chunk.slice(0, limit), { now: d.clock.now(), userId: s.userId, deviceId: s.deviceId }),
      };
      if (!exhausted || chunk.length >= limit) {
        const more = q.dir === 'b' ? cursor > lower : cursor < upper;
        if (more) out.end = encodeRoomToken({ stream: cursor });
      }
      return out;
    });
  };
}
