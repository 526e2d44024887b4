import { defineProject } from 'vitest/config';

// Tests start the stage's own CDK app in the local AWS runtime, over embedded Postgres.
export default defineProject({
  test: {
    name: '@course/async',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
