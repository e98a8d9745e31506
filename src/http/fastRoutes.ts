import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { toMatrixError } from './errors.js';
import type { RequestObserver } from './app.js';
import { CORS_HEADERS } from './cors.js';

/**
 * Takes a request on Node's request event, before Fastify sees it, or declines it
 * (returns false) and Fastify answers as always. A handler decides synchronously and
 * only takes requests it fully accepts: any doubt (a bad parameter, a token not yet
 * cached) goes to the Fastify route, which gives the same answer it always gave.
 */
export type FastHandler = (req: IncomingMessage, res: ServerResponse, query: string, reply: FastReply) => boolean;

/** How a fast handler answers: JSON with the headers the Fastify app would have sent. */
export interface FastReply {
  json(status: number, body: string, headers?: Record<string, string>): void;
  /** Answers err as the app's error handler would (Matrix error JSON, 5xx logged). */
  error(err: unknown): void;
}

/**
 * The few hot GET routes answered without Fastify's per-request objects, hooks and
 * reply pipeline: /sync long-polls are most of a busy server's requests, and for them
 * that machinery cost about as much as the answer itself.
 */
export class FastRoutes {
  private readonly routes = new Map<string, { route: string; handler: FastHandler }>();
  private stopping = false;
  private log: FastifyBaseLogger | undefined;
  private observer: RequestObserver | undefined;
  private nextId = 0;
  /** Requests the fast routes took (the rest went to Fastify). */
  taken = 0;

  /** path: the exact request path (no query); route: its pattern, as metrics name it. */
  add(path: string, handler: FastHandler, route = path): void {
    this.routes.set(path, { route, handler });
  }

  /** Called by the app: where errors are logged and finished requests counted. */
  attach(log: FastifyBaseLogger, observer: RequestObserver | undefined): void {
    this.log = log;
    this.observer = observer;
  }

  /** From now on every request goes to Fastify, which refuses it while the server stops. */
  stop(): void {
    this.stopping = true;
  }

  /** True when a handler took the request. */
  take(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.stopping || req.method !== 'GET' || this.routes.size === 0) return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const r = this.routes.get(q < 0 ? url : url.slice(0, q));
    if (!r) return false;
    const started = performance.now();
    const reply: FastReply = {
      json: (status, body, headers) => {
        if (res.headersSent || res.destroyed) return;
        res.writeHead(status, {
          ...CORS_HEADERS,
          ...headers,
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
        this.observer?.requestDone(r.route, 'GET', status, performance.now() - started);
      },
      error: (err) => {
        const me = toMatrixError(err instanceof Error ? err : new Error(String(err)));
        if (me.status >= 500) {
          // Fastify's request ids are its own; these say which path answered.
          const log = this.log?.child({ reqId: `fast-${++this.nextId}` });
          if (me.status === 503) log?.warn({ err }, 'unavailable');
          else log?.error({ err }, 'unhandled error');
        }
        reply.json(me.status, JSON.stringify(me.toJSON()));
      },
    };
    const took = r.handler(req, res, q < 0 ? '' : url.slice(q + 1), reply);
    if (took) this.taken++;
    return took;
  }
}
