import { fileURLToPath } from 'node:url';
import type { DatabaseDefinition, ProcessDefinition, StageDefinition } from '@course/local';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The monolith's one database, migrated and seeded with demo data. Stage 01 runs it as is. */
export const monolithDatabase = {
  name: 'monolith',
  schemaPath: `${here}prisma/schema.prisma`,
  migrationsDir: `${here}prisma/migrations`,
  seed: {
    name: 'seed',
    cwd: here,
    command: ['node', '--import', 'tsx', 'src/seed.ts'],
    env: (ctx) => ({ DATABASE_URL: ctx.databaseUrls.monolith ?? '' }),
  },
} satisfies DatabaseDefinition;

/** The monolith process on the stage's public port. */
export const monolithProcess = {
  name: 'monolith',
  cwd: here,
  command: ['node', '--import', 'tsx', 'src/server.ts'],
  readyPath: '/readyz',
  port: (ctx) => ctx.publicPort,
  env: (ctx) => ({
    PORT: String(ctx.publicPort),
    STAGE: '00',
    DATABASE_URL: ctx.databaseUrls.monolith ?? '',
    JWT_PRIVATE_JWK: ctx.secrets.jwtPrivateJwk,
  }),
} satisfies ProcessDefinition;

/** Stage 00: one process, one database. `pnpm start` (or `pnpm start 00`) runs this. */
export default {
  id: '00',
  title: 'monolith',
  databases: [monolithDatabase],
  processes: [monolithProcess],
  publicProcess: 'monolith',
} satisfies StageDefinition;
