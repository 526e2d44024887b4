import { defineProject } from 'vitest/config';

// Tests start real services over embedded Postgres, and child processes for the fault tests.
export default defineProject({
  test: {
    name: '@course/containers',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
