/**
 * The web UI's build: `vite build --config web/vite.config.ts` (part of `npm run build`) writes the app to
 * dist/web, which `steward serve` serves at /. `npm run dev:web` serves it with hot reload and sends API
 * calls to a Steward on 127.0.0.1:8080 (STEWARD_DEV_API overrides).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.STEWARD_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // ECharts is loaded only by the pages that draw charts, as its own file.
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: { '/api': api, '/docs': api, '/v2': api },
  },
});
