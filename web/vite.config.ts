import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { initialJsBudget } from './vite/initial-js-budget.ts';

// One build for every stage: API calls are relative (/api/...), so whichever stage serves
// web/dist also answers them. `pnpm dev` proxies /api to a stage started with `pnpm start`.
export default defineConfig({
  plugins: [react(), initialJsBudget()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': process.env.API_PROXY_TARGET ?? 'http://localhost:3000',
    },
  },
});
