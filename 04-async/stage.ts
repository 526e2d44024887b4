import { fileURLToPath } from 'node:url';
import stage02 from '@course/containers/stage';
import type { DatabaseDefinition, StageDefinition } from '@course/local';
import stage03, { processOf } from '@course/serverless/stage';
import { LOGICAL_IDS } from './cdk/logical-ids.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const STAGE = '04';

function stage02Database(name: string): DatabaseDefinition {
  const database = stage02.databases.find((candidate) => candidate.name === name);
  if (database === undefined) throw new Error(`stage 02 has no database named ${name}`);
  return database;
}

/**
 * A database of stage 02 (its seed included) with this stage's schema and migrations: stage 02's
 * own, byte for byte, followed by this stage's.
 */
function withOwnMigrations(name: 'forum' | 'slots'): DatabaseDefinition {
  return {
    ...stage02Database(name),
    schemaPath: fileURLToPath(new URL(`prisma/${name}/schema.prisma`, import.meta.url)),
    migrationsDir: fileURLToPath(new URL(`prisma/${name}/migrations`, import.meta.url)),
  };
}

/**
 * Stage 04: stage 03's topology, and slots now tells what happened. Its functions write each
 * event in the same transaction as the change (the outbox) and publish it to an SNS topic; three
 * queues fan it out to the leaderboard projection (a function), the audit log (a function
 * writing to S3) and the forum, whose service polls the queue of big wins itself. A purchase of a
 * forum title is a saga on a Step Functions state machine. All of it is served from this stage's
 * own CDK app by the local AWS runtime.
 */
export default {
  id: STAGE,
  title: 'async',
  databases: [
    stage02Database('users'),
    withOwnMigrations('forum'),
    {
      ...withOwnMigrations('slots'),
      // Stage 02's demo wallets and spins, then a WalletOpened event for each of them: the
      // leaderboard is built from events only (src/slots/seed.ts says more).
      seed: {
        name: 'seed-slots',
        cwd: here,
        command: ['node', '--import', 'tsx', 'src/slots/seed.ts'],
        env: (ctx) => ({ DATABASE_URL: ctx.databaseUrls.slots ?? '' }),
      },
    },
  ],
  // Stage 03's processes and local AWS refer to its resources by logical ids that this stage's
  // app keeps (SlotsApi, SlotsRanksFunction, Database): a test checks they are the same.
  localAws: {
    // Stage 03's wiring (the database endpoint, the functions' environment, their local
    // concurrency), for this stage's app.
    ...stage03.localAws,
    app: fileURLToPath(new URL('cdk/app.ts', import.meta.url)),
    functionEnvironment: (ctx) => ({
      ...stage03.localAws.functionEnvironment(ctx),
      // The purchase saga's grant and cancel steps call the forum's internal path: on AWS at its
      // Cloud Map name (forum.course.internal), here at the forum process's port.
      FORUM_URL: `http://127.0.0.1:${ctx.ports.forum}`,
    }),
  },
  processes: [
    processOf(stage03, 'users', STAGE),
    {
      ...processOf(stage03, 'forum', STAGE, (ctx) => ({
        JACKPOT_QUEUE_URL: ctx.queueUrls[LOGICAL_IDS.jackpotQueue] ?? '',
      })),
      // Stage 03's forum environment (RANKS_FUNCTION_NAME…), this stage's server.
      cwd: here,
    },
    processOf(stage03, 'gateway', STAGE),
  ],
  publicProcess: 'gateway',
} satisfies StageDefinition;
