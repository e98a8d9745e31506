import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError, forbidden, notFound } from '../../common/errors.js';
import { isRoomId } from '../../common/ids.js';
import type { ClientApiDeps } from './deps.js';
import { AnyObject } from './schemas.js';

const Global = Type.Object({ userId: Type.String(), type: Type.String({ minLength: 1, maxLength: 255 }) });
const PerRoom = Type.Object({ userId: Type.String(), roomId: Type.String(), type: Type.String({ minLength: 1, maxLength: 255 }) });

// These two are managed by the server through their own endpoints.
const SERVER_MANAGED = new Set(['m.fully_read', 'm.push_rules']);

/** Client config / account data (spec: "Client Config"). */
export function accountDataRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    const own = (actor: string, userId: string) => {
      if (actor !== userId) throw forbidden("Cannot access another user's account data");
    };
    const checkRoom = (roomId: string) => {
      if (!isRoomId(roomId)) throw new MatrixError(400, 'M_INVALID_PARAM', `${roomId} is not a room ID`);
    };

    app.put('/user/:userId/account_data/:type', { schema: { params: Global, body: AnyObject } }, async (req) => {
      const s = await d.auth(req);
      own(s.userId, req.params.userId);
      if (SERVER_MANAGED.has(req.params.type)) throw new MatrixError(400, 'M_BAD_JSON', `Cannot set ${req.params.type} through account data`);
      const pos = await d.userData.putAccountData(s.userId, '', req.params.type, req.body as Record<string, unknown>);
      d.feeds.accountData(s.userId, pos);
      return {};
    });

    app.get('/user/:userId/account_data/:type', { schema: { params: Global } }, async (req) => {
      const s = await d.auth(req);
      own(s.userId, req.params.userId);
      const content = await d.userData.getAccountData(s.userId, '', req.params.type);
      if (!content) throw notFound('Account data not found');
      return content;
    });

    app.put('/user/:userId/rooms/:roomId/account_data/:type', { schema: { params: PerRoom, body: AnyObject } }, async (req) => {
      const s = await d.auth(req);
      own(s.userId, req.params.userId);
      checkRoom(req.params.roomId);
      if (SERVER_MANAGED.has(req.params.type)) throw new MatrixError(400, 'M_BAD_JSON', `Cannot set ${req.params.type} through account data`);
      const pos = await d.userData.putAccountData(s.userId, req.params.roomId, req.params.type, req.body as Record<string, unknown>);
      d.feeds.accountData(s.userId, pos);
      return {};
    });

    app.get('/user/:userId/rooms/:roomId/account_data/:type', { schema: { params: PerRoom } }, async (req) => {
      const s = await d.auth(req);
      own(s.userId, req.params.userId);
      checkRoom(req.params.roomId);
      const content = await d.userData.getAccountData(s.userId, req.params.roomId, req.params.type);
      if (!content) throw notFound('Account data not found');
      return content;
    });
  };
}
