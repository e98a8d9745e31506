/**
 * Serves the built web client (`web/dist`, made by `vite build`) at the root of the
 * homeserver. Only three shapes of path exist: `/`, `/index.html` and `/assets/…` (Vite's
 * hashed output), so the plugin adds no catch-all route and every other unknown path keeps
 * the Matrix 404/405 answers of the not-found handler.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { MatrixError, notFound } from '../common/errors.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// The page talks only to the server that served it; nothing inline, nothing from elsewhere.
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** A path segment Vite can produce: letters, digits, `.`, `_`, `-`, never starting with a dot. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * `<package root>/web/dist`, found by walking up from this module to the first
 * package.json: the same answer from `src/http/` (tsx) and `dist/src/http/` (npm start).
 */
export function defaultWebDist(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'web', 'dist');
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(from), '..', '..', 'web', 'dist');
    dir = up;
  }
}

/**
 * The file under `assetsDir` that `rel` names, or null when `rel` could step outside it
 * (`..`, absolute paths, backslashes, NUL, hidden files).
 */
export function safeAssetPath(assetsDir: string, rel: string): string | null {
  if (rel === '' || rel.length > 512) return null;
  const parts = rel.split('/');
  if (!parts.every((p) => SEGMENT.test(p))) return null;
  const root = resolve(assetsDir);
  const full = resolve(root, ...parts);
  return full.startsWith(root + sep) ? full : null;
}

export interface WebClientOptions {
  /** The built bundle; defaults to `<package root>/web/dist`. */
  dir?: string;
}

/** Fastify plugin serving the web client at `/`; mount it with the root routes. */
export function webClientRoutes(opts: WebClientOptions = {}): FastifyPluginAsync {
  const dist = resolve(opts.dir ?? defaultWebDist());
  const assets = join(dist, 'assets');

  async function readOr404(file: string, missing: () => MatrixError): Promise<Buffer> {
    try {
      return await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw missing();
      throw err;
    }
  }

  // Read per request: the bundle can be (re)built while the server runs, and it is small.
  async function sendIndex(reply: FastifyReply): Promise<Buffer> {
    const body = await readOr404(join(dist, 'index.html'), () =>
      notFound('The web client is not built: run `npm run build` (it writes web/dist)'),
    );
    void reply
      .type(CONTENT_TYPES['.html'])
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    return body;
  }

  return async (app) => {
    app.get('/', async (_req, reply) => sendIndex(reply));
    app.get('/index.html', async (_req, reply) => sendIndex(reply));

    app.get('/assets/*', async (req, reply) => {
      const rel = (req.params as { '*'?: string })['*'] ?? '';
      const file = safeAssetPath(assets, rel);
      if (file === null) throw notFound('No such file');
      const body = await readOr404(file, () => notFound('No such file'));
      // Vite names assets by content hash, so a name never changes meaning.
      void reply
        .type(contentTypeOf(file))
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff');
      return body;
    });
  };
}
