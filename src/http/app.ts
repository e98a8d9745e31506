import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyLoggerOptions } from 'fastify';
import type { FastifyPluginAsyncTypebox as FastifyPluginAsync, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { installErrorHandlers } from './errors.js';
import type { Authenticator } from './auth.js';
import { QueryParser } from './query.js';
import { MatrixError } from '../common/errors.js';

/** Told about every answered request (metrics); called once per request, so it only counts. */
export interface RequestObserver {
  /** route: the matched route's pattern, undefined when none matched; ms: Fastify's elapsedTime. */
  requestDone(route: string | undefined, method: string, status: number, ms: number): void;
}

export interface AppOptions {
  maxBodyBytes: number;
  logLevel: string;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: FastifyLoggerOptions['stream'];
  requests?: RequestObserver;
  /** Client-Server routes; registered under /_matrix/client/v3 and the r0 alias. */
  clientRoutes: FastifyPluginAsync[];
  /** Routes mounted at their own absolute paths (well-known, versions, unstable, admin). */
  rootRoutes: FastifyPluginAsync[];
  /**
   * Checks the access token of every route under the client and admin prefixes, except the
   * public ones, before the body is parsed or validated (the spec's clients expect 401 first).
   */
  auth?: { authenticate: Authenticator; isPublic(method: string, route: string): boolean };
}

const AUTHENTICATED_PREFIXES = ['/_matrix/client/v3/', '/_matrix/client/r0/', '/_matrix/client/unstable/', '/_presenced/admin/'];

export type App = FastifyInstance;

// Deeper values are no real client's and would overflow the stack of every recursive walk
// (canonical JSON, filters, storage) that later meets them.
const MAX_JSON_DEPTH = 100;

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization',
};

/** Deepest bracket nesting of a JSON text, ignoring brackets inside strings. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** The Fastify app: JSON parsing, CORS, Matrix errors, and the route plugins. */
export async function buildApp(opts: AppOptions): Promise<App> {
  const app = Fastify({
    // Every line logged through req.log carries Fastify's per-request `reqId`.
    logger: opts.logLevel === 'silent' ? false : { level: opts.logLevel, ...(opts.logStream ? { stream: opts.logStream } : {}) },
    bodyLimit: opts.maxBodyBytes,
    // Long-polls hold requests open; the server's own timeouts must outlast them.
    requestTimeout: 0,
    keepAliveTimeout: 75_000,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Refused requests during a stop are answered by the onRequest hook below, in Matrix JSON.
    return503OnClosing: false,
    // Per-request log lines would dominate the log of a server full of long-polls.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 1000, querystringParser: new QueryParser().parse },
    // Errors Node's HTTP parser raises before there is a request (an over-long URL or
    // header, a malformed request line) still answer Matrix error JSON.
    clientErrorHandler: answerClientError,
    // Undecodable URLs are rejected before routing; they still owe the client Matrix error JSON.
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      void reply.code(400).send({ errcode: 'M_UNRECOGNIZED', error: err.message });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandlers(app);

  // Clients send JSON with and without a content type; every body is parsed as JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    if (nestingDepth(text) > MAX_JSON_DEPTH) {
      return done(new MatrixError(400, 'M_BAD_JSON', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(new MatrixError(400, 'M_NOT_JSON', 'Content not JSON'), undefined);
    }
  });

  // A callback hook, not an async one: it runs on every request, long-polls included.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  const auth = opts.auth;
  // Whether a route needs a token, decided once per method and route pattern.
  const needsToken = new Map<string, Map<string, boolean>>();
  const tokenRequired = (method: string, route: string | undefined): boolean => {
    if (!auth || route === undefined) return false;
    let byRoute = needsToken.get(method);
    if (!byRoute) needsToken.set(method, (byRoute = new Map()));
    let v = byRoute.get(route);
    if (v === undefined) {
      v = AUTHENTICATED_PREFIXES.some((p) => route.startsWith(p)) && !auth.isPublic(method, route);
      byRoute.set(route, v);
    }
    return v;
  };
  // One callback hook (not an async one) for every request, long-polls included: CORS,
  // preflight, refusal while stopping, then the token, checked before the body is read.
  app.addHook('onRequest', (req, reply, done) => {
    void reply.headers(CORS_HEADERS);
    if (req.method === 'OPTIONS') {
      void reply.code(204).send();
      return;
    }
    if (closing) {
      // Another instance (or this one, restarted) can answer at once: clients may retry soon.
      void reply.code(503).header('connection', 'close').header('retry-after', '1').send({ errcode: 'M_UNKNOWN', error: 'The server is shutting down', retry_after_ms: 1000 });
      return;
    }
    if (!tokenRequired(req.method, req.routeOptions.url)) {
      done();
      return;
    }
    auth!.authenticate(req).then(() => done(), (e: Error) => done(e));
  });

  const observer = opts.requests;
  // Decided once: at info and above the hook must not build a log object per request.
  const logCompleted = opts.logLevel === 'debug' || opts.logLevel === 'trace';
  if (observer || logCompleted) {
    app.addHook('onResponse', (req, reply, done) => {
      observer?.requestDone(req.routeOptions.url, req.method, reply.statusCode, reply.elapsedTime);
      if (logCompleted) req.log.debug({ route: req.routeOptions.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime }, 'request completed');
      done();
    });
  }

  for (const r of opts.rootRoutes) await app.register(r);
  for (const prefix of ['/_matrix/client/v3', '/_matrix/client/r0']) {
    for (const r of opts.clientRoutes) await app.register(r, { prefix });
  }
  return app;
}

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, errcode, error] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'M_TOO_LARGE', 'The request line or headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'M_UNKNOWN', 'The request took too long to arrive']
        : [400, 'Bad Request', 'M_UNKNOWN', 'Malformed HTTP request'];
  const body = JSON.stringify({ errcode, error });
  // An answer to HEAD has no body: the client would read it as the start of a next answer.
  // The method is only known when the failing packet holds the request line (a request
  // line split over reads fails in a later packet); otherwise the body goes, as to a GET.
  const head = isHeadRequest((err as { rawPacket?: unknown }).rawPacket);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${head ? '' : body}`);
  }
  socket.destroy(err);
}

const HEAD = Buffer.from('HEAD ');

function isHeadRequest(packet: unknown): boolean {
  return Buffer.isBuffer(packet) && packet.subarray(0, HEAD.length).equals(HEAD);
}
