import { defineConfig } from 'vitest/config';

// One root config; each package is a project with its own src/ and test/.
export default defineConfig({
  test: {
    projects: [
      'packages/*',
      'infra/*',
      '00-monolith',
      '01-strangler',
      '02-containers',
      '03-serverless',
      '04-async',
      'web',
    ],
  },
});
