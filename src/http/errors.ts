import type { FastifyError, FastifyInstance } from 'fastify';
import { MatrixError } from '../common/errors.js';
import { NotCanonicalJsonError } from '../federation/index.js';

/** Maps any failure to the spec's error JSON; nothing a client sends may produce a 500. */
export function toMatrixError(err: FastifyError | Error): MatrixError {
  if (err instanceof MatrixError) return err;
  // Room events are hashed over canonical JSON; content that has no such form is the client's fault.
  if (err instanceof NotCanonicalJsonError) return new MatrixError(400, 'M_BAD_JSON', err.message);
  const fe = err as FastifyError & { validationContext?: string };
  if (fe.validation) {
    const first = fe.validation[0];
    const where = fe.validationContext ?? 'body';
    const path = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (first?.keyword === 'required') {
      const missing = (first.params as { missingProperty?: string }).missingProperty;
      return new MatrixError(400, 'M_MISSING_PARAM', `Missing ${where === 'body' ? 'field' : 'parameter'} ${missing ?? ''}`.trim());
    }
    const msg = `${path ? `${path}: ` : ''}${first?.message ?? 'invalid'}`;
    return new MatrixError(400, where === 'body' ? 'M_BAD_JSON' : 'M_INVALID_PARAM', msg);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MatrixError(413, 'M_TOO_LARGE', 'Request body is too large');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new MatrixError(400, 'M_NOT_JSON', 'Content not JSON');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new MatrixError(400, 'M_NOT_JSON', 'Content not JSON');
    default:
      break;
  }
  if (fe.statusCode === 413) return new MatrixError(413, 'M_TOO_LARGE', 'Request body is too large');
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new MatrixError(fe.statusCode, fe.statusCode === 400 ? 'M_BAD_JSON' : 'M_UNKNOWN', fe.message);
  }
  return new MatrixError(500, 'M_UNKNOWN', 'Internal server error');
}

/** Route patterns by path, to tell 405 (known path, other method) from 404. */
export function installErrorHandlers(app: FastifyInstance): void {
  const patterns: { re: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const re = new RegExp('^' + route.url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+').replace(/\*/g, '.*') + '$');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    patterns.push({ re, methods: new Set(methods) });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const me = toMatrixError(err);
    if (me.status === 503) req.log.warn({ err }, 'unavailable');
    else if (me.status >= 500) req.log.error({ err }, 'unhandled error');
    void reply.code(me.status).send(me.toJSON());
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const known = patterns.some((p) => p.re.test(path));
    const status = known ? 405 : 404;
    void reply.code(status).send({ errcode: 'M_UNRECOGNIZED', error: known ? 'Method not allowed' : 'Unrecognized request' });
  });
}
