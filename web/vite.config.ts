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
    // The page's origin (this dev server) is not the API server's, which refuses unsafe requests
    // from other origins: the proxy drops the Origin header, as a non-browser client sends none.
    proxy: {
      '/api': {
        target: 'https://127.0.0.1:8443',
        secure: false,
        configure: (proxy) => proxy.on('proxyReq', (request) => request.removeHeader('origin')),
      },
    },
  },
});
