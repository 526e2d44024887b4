import { defineProject } from 'vitest/config';

// Tests synthesize a small CDK app once and start real child processes (Lambda environments).
export default defineProject({
  test: {
    name: '@course/aws-local',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Synthesizes the fixture CDK app once per run (test/fixtures/app).
    globalSetup: ['test/global-setup.ts'],
  },
});
