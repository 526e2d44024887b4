import { defineProject } from 'vitest/config';

// Tests start real databases (PGlite takes a few seconds to boot) and real child processes.
export default defineProject({
  test: {
    name: '@course/local',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
