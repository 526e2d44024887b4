import { fileURLToPath } from 'node:url';
import type { StageDefinition } from '@course/local';
import { monolithDatabase, monolithProcess } from '@course/monolith/stage';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Stage 01: the facade on the public port, in front of stage 00's monolith (run as it is, from
 * its own folder) and the slots service with a database of its own. Before anything serves,
 * the wallets task hands each wallet to the implementation the route table pins its player to.
 */
export default {
  id: '01',
  title: 'strangler',
  databases: [
    monolithDatabase,
    {
      name: 'slots',
      schemaPath: `${here}prisma/schema.prisma`,
      migrationsDir: `${here}prisma/migrations`,
    },
  ],
  tasks: [
    {
      name: 'wallets',
      cwd: here,
      // Nothing serves yet, so no spin can happen while wallets move: the write freeze.
      command: ['node', '--import', 'tsx', 'src/wallets/cli.ts', 'handoff', '--traffic-stopped'],
      env: (ctx) => ({
        DATABASE_URL: ctx.databaseUrls.slots ?? '',
        MONOLITH_DATABASE_URL: ctx.databaseUrls.monolith ?? '',
      }),
    },
  ],
  processes: [
    {
      ...monolithProcess,
      port: (ctx) => ctx.ports.monolith ?? 0,
      env: (ctx) => ({
        ...monolithProcess.env(ctx),
        PORT: String(ctx.ports.monolith),
        STAGE: '01',
      }),
    },
    {
      name: 'slots',
      cwd: here,
      command: ['node', '--import', 'tsx', 'src/slots/server.ts'],
      readyPath: '/readyz',
      port: (ctx) => ctx.ports.slots ?? 0,
      env: (ctx) => ({
        PORT: String(ctx.ports.slots),
        STAGE: '01',
        DATABASE_URL: ctx.databaseUrls.slots ?? '',
        JWKS_URL: `http://127.0.0.1:${ctx.ports.monolith}/.well-known/jwks.json`,
      }),
    },
    {
      name: 'facade',
      cwd: here,
      command: ['node', '--import', 'tsx', 'src/facade/server.ts'],
      readyPath: '/readyz',
      port: (ctx) => ctx.publicPort,
      env: (ctx) => ({
        PORT: String(ctx.publicPort),
        STAGE: '01',
        MONOLITH_URL: `http://127.0.0.1:${ctx.ports.monolith}`,
        SLOTS_URL: `http://127.0.0.1:${ctx.ports.slots}`,
      }),
    },
  ],
  publicProcess: 'facade',
} satisfies StageDefinition;
