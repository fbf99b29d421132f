// Vite build of the Sealpost message center. Output: web/dist, served by `sealpost serve`.
// The server's Content-Security-Policy forbids inline script and style, so nothing may be inlined
// into index.html: no module-preload polyfill, CSS always in its own file.
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a local `sealpost serve` (self-signed certificate).
    proxy: { '/api': { target: 'https://127.0.0.1:8443', secure: false } },
  },
});
