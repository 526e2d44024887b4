import { defineProject } from 'vitest/config';

// Each test synthesizes a stack: the first one in a file also loads aws-cdk-lib's modules, which
// takes several seconds on a busy two-core machine, more than vitest's default 5 s.
export default defineProject({
  test: {
    name: '@course/constructs',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
