import react from '@vitejs/plugin-react';
import { defineProject } from 'vitest/config';

// Component tests: React in jsdom, fast. Browser tests (e2e/*.e2e.ts) run via `pnpm e2e` only.
export default defineProject({
  plugins: [react()],
  test: {
    name: '@course/web',
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['./test/setup.ts'],
  },
});
