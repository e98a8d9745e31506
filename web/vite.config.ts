// Built by `vite build web` (root = this folder): web/dist, served at / by src/http/static.ts.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Every supported browser has modulepreload; the polyfill would be dead weight.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
});
