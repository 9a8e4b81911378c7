// Builds the settings UI into renderer/dist (`npm run build:ui`), with relative asset paths so
// the same files load from the admin API's origin in a browser and in the Electron window.
// `vite --config renderer/vite.config.ts` serves it for development: set MCP_PUBLISH_ADMIN_URL
// to a running admin API and open http://localhost:5173/#token=<its token>.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const admin = process.env.MCP_PUBLISH_ADMIN_URL;

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  server: admin ? {
    proxy: {
      // The admin API refuses foreign Origins; the dev server's own page is not one of its.
      '/api': { target: admin, changeOrigin: true, configure: (proxy) => proxy.on('proxyReq', (req) => req.removeHeader('origin')) },
    },
  } : {},
});
