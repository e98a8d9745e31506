import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App } from '../../../src/http/index.js';
import { contentTypeOf, defaultWebDist, safeAssetPath, webClientRoutes } from '../../../src/http/static.js';

async function appFor(dir: string): Promise<App> {
  return buildApp({ maxBodyBytes: 65536, logLevel: 'silent', clientRoutes: [], rootRoutes: [webClientRoutes({ dir })] });
}

describe('web client static files', () => {
  let root: string;
  let app: App;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'presenced-static-'));
    mkdirSync(join(root, 'dist', 'assets', 'sub'), { recursive: true });
    writeFileSync(join(root, 'dist', 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(root, 'dist', 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(root, 'dist', 'assets', 'index-abc.css'), 'body{}');
    writeFileSync(join(root, 'dist', 'assets', 'sub', 'a.svg'), '<svg/>');
    writeFileSync(join(root, 'secret.txt'), 'top secret');
    app = await appFor(join(root, 'dist'));
  });
  after(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('/ and /index.html serve index.html as HTML, uncached, with a CSP', async () => {
    for (const url of ['/', '/index.html']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
      assert.equal(res.body, '<!doctype html><title>x</title>');
    }
  });

  test('a query string on / still serves the page (the client reads ?idle=)', async () => {
    const res = await app.inject({ method: 'GET', url: '/?idle=2000' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /doctype/);
  });

  test('assets get their content type and a long immutable cache', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(String(js.headers['cache-control']), /immutable/);
    assert.equal(js.body, 'console.log(1)');
    const css = await app.inject({ method: 'GET', url: '/assets/index-abc.css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const svg = await app.inject({ method: 'GET', url: '/assets/sub/a.svg' });
    assert.equal(svg.statusCode, 200);
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
  });

  test('HEAD works like GET without a body', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/assets/index-abc.js' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '');
  });

  test('a missing asset is a Matrix 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/nope.js' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().errcode, 'M_NOT_FOUND');
  });

  test('a directory is not served', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/sub' });
    assert.equal(res.statusCode, 404);
  });

  test('no directory traversal, encoded or not', async () => {
    for (const url of [
      '/assets/../secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/sub/..%2f..%2f..%2fsecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/assets/%2fetc%2fpasswd',
      '/assets/.hidden',
      '/assets/a%00.js',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.notEqual(res.statusCode, 200, url);
      assert.doesNotMatch(res.body, /top secret/, url);
    }
  });

  test('other paths keep the Matrix unrecognized answer (no catch-all route)', async () => {
    const res = await app.inject({ method: 'GET', url: '/elsewhere' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().errcode, 'M_UNRECOGNIZED');
    const post = await app.inject({ method: 'POST', url: '/_matrix/client/v3/nothing', payload: {} });
    assert.equal(post.statusCode, 404);
  });

  test('an unbuilt bundle is a clear Matrix 404 naming the fix', async () => {
    const empty = await appFor(join(root, 'not-built'));
    try {
      const res = await empty.inject({ method: 'GET', url: '/' });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().errcode, 'M_NOT_FOUND');
      assert.match(res.json().error, /npm run build/);
    } finally {
      await empty.close();
    }
  });
});

describe('static helpers', () => {
  test('contentTypeOf knows the bundle types and falls back to octet-stream', () => {
    assert.equal(contentTypeOf('a.JS'), 'text/javascript; charset=utf-8');
    assert.equal(contentTypeOf('a.woff2'), 'font/woff2');
    assert.equal(contentTypeOf('a.bin'), 'application/octet-stream');
  });

  test('safeAssetPath refuses anything that could leave the folder', () => {
    assert.equal(safeAssetPath('/x/assets', 'a.js'), '/x/assets/a.js');
    assert.equal(safeAssetPath('/x/assets', 'sub/a.js'), '/x/assets/sub/a.js');
    for (const bad of ['', '../a', 'sub/../../a', '/etc/passwd', 'a\\..\\b', '.env', 'a//b', 'a\u0000b']) {
      assert.equal(safeAssetPath('/x/assets', bad), null, JSON.stringify(bad));
    }
  });

  test('defaultWebDist finds web/dist at the package root from src/http and from dist/src/http', () => {
    const root = mkdtempSync(join(tmpdir(), 'presenced-root-'));
    try {
      writeFileSync(join(root, 'package.json'), '{}');
      mkdirSync(join(root, 'dist', 'src', 'http'), { recursive: true });
      mkdirSync(join(root, 'src', 'http'), { recursive: true });
      assert.equal(defaultWebDist(join(root, 'src', 'http', 'static.ts')), join(root, 'web', 'dist'));
      assert.equal(defaultWebDist(join(root, 'dist', 'src', 'http', 'static.js')), join(root, 'web', 'dist'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
