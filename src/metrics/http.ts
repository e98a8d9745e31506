import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyPluginAsync } from 'fastify';

/** What serving /metrics needs: the exposition text. */
export interface Scrapable {
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** GET /metrics on the main listener. */
export function metricsRoute(metrics: Scrapable): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', async (_req, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.type(contentType).send(body);
    });
  };
}

export interface MetricsListener {
  /** http://host:port of the bound listener. */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * A separate listener that serves only GET /metrics (metrics.port), so that the main
 * port can be public while metrics stay on a private address. Plain node:http: it needs
 * none of the app's parsing, auth or CORS.
 */
export async function listenMetrics(metrics: Scrapable, bind: string, port: number): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}');
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => void res.writeHead(200, { 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : body),
      () => void res.writeHead(500, { 'content-type': 'application/json' }).end('{"errcode":"M_UNKNOWN","error":"metrics failed"}'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    address: `http://${host}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
