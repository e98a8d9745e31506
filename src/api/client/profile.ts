import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MatrixError, notFound } from '../../common/errors.js';
import { isUserId } from '../../common/ids.js';
import type { ClientApiDeps } from './deps.js';

const Params = Type.Object({ userId: Type.String() });
const FieldParams = Type.Object({ userId: Type.String(), field: Type.String() });

/** Profiles (spec: "Profiles"). A change re-sends the member event in every joined room. */
export function profileRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    const checkUser = (userId: string) => {
      if (!isUserId(userId)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid user ID');
    };
    const fieldName = (f: string): 'displayname' | 'avatar_url' => {
      if (f === 'displayname' || f === 'avatar_url') return f;
      throw notFound(`Unknown profile field ${f}`);
    };

    app.get('/profile/:userId', { schema: { params: Params } }, async (req) => {
      checkUser(req.params.userId);
      const p = await d.users.getProfile(req.params.userId);
      const out: Record<string, string> = {};
      if (p.displayname !== null) out.displayname = p.displayname;
      if (p.avatar_url !== null) out.avatar_url = p.avatar_url;
      return out;
    });

    app.get('/profile/:userId/:field', { schema: { params: FieldParams } }, async (req) => {
      checkUser(req.params.userId);
      const field = fieldName(req.params.field);
      const p = await d.users.getProfile(req.params.userId);
      if (p[field] === null) throw notFound(`No ${field} set`);
      return { [field]: p[field] };
    });

    app.put('/profile/:userId/:field', { schema: { params: FieldParams, body: Type.Object({}, { additionalProperties: true }) } }, async (req) => {
      const s = await d.auth(req);
      checkUser(req.params.userId);
      const field = fieldName(req.params.field);
      const value = (req.body as Record<string, unknown>)[field];
      if (value !== null && value !== undefined && typeof value !== 'string') throw new MatrixError(400, 'M_BAD_JSON', `${field} must be a string`);
      await d.users.setProfileField(s, req.params.userId, field, (value as string | undefined) ?? null);
      return {};
    });
  };
}
