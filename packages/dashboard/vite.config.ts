import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard is its own Vite root; the collector serves `dist/` at `/`.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  resolve: {
    // Workspace packages resolve to their TypeScript sources, so the web app builds without building them first.
    conditions: ['seatwatch-source'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    // `pnpm --filter @seatwatch/dashboard dev` against a collector on :8080.
    proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } },
  },
});
