// Builds the browser app into dist/ (index.html plus hashed files under assets/), which the
// natter binary embeds. The dev server proxies natter's routes to a natter started with --dev.
import { defineConfig } from 'vite';

declare const process: { env: Record<string, string | undefined> };

const natter = process.env.NATTER_URL ?? 'http://127.0.0.1:18080';
const routes = ['/discovery', '/dev/token', '/channels', '/messages', '/users', '/activity', '/ratelimits'];

export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', assetsDir: 'assets', target: 'es2020', sourcemap: false, assetsInlineLimit: 0 },
  preview: {
    headers: {
      'Content-Security-Policy':
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
        "connect-src 'self'; frame-ancestors 'none'",
    },
  },
  server: {
    proxy: {
      ...Object.fromEntries(routes.map((r) => [r, { target: natter, changeOrigin: false }])),
      '/ws': { target: natter.replace(/^http/, 'ws'), ws: true },
    },
  },
});
