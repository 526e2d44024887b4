import type { StageContext } from '@course/local';
import { LOGICAL_IDS as STAGE_03_IDS } from '@course/serverless/cdk/logical-ids';
import { describe, expect, it } from 'vitest';
import { LOGICAL_IDS } from '../cdk/logical-ids.ts';
import stage from '../stage.ts';

const ctx: StageContext = {
  databaseUrls: {
    users: 'postgres://u/users',
    forum: 'postgres://u/forum',
    slots: 'postgres://u/slots',
  },
  publicPort: 3000,
  ports: { users: 4001, forum: 4002, gateway: 3000 },
  dataDir: '/tmp/.data/04-async',
  secrets: { jwtPrivateJwk: '{}' },
  httpApis: { SlotsApi: 'http://127.0.0.1:4100' },
  functionNames: { SlotsRanksFunction: 'CourseAsync-SlotsRanksFunction' },
  queueUrls: { JackpotQueue: 'http://127.0.0.1:4200/000000000000/jackpot' },
  bucketNames: { AuditLog: 'courseasync-auditlog' },
  stateMachineArns: {},
};

describe('the local stage 04', () => {
  it("keeps the logical ids stage 03's processes and local AWS wiring refer to", () => {
    for (const key of ['slotsApi', 'ranksFunction', 'database'] as const) {
      expect(LOGICAL_IDS[key]).toBe(STAGE_03_IDS[key]);
    }
  });

  it("runs this stage's forum server with the jackpot queue's URL, reporting stage 04", () => {
    const forum = stage.processes.find(({ name }) => name === 'forum');

    expect(forum?.cwd).toMatch(/04-async\/?$/);
    expect(forum?.env?.(ctx)).toMatchObject({
      STAGE: '04',
      JACKPOT_QUEUE_URL: ctx.queueUrls.JackpotQueue,
      RANKS_FUNCTION_NAME: 'CourseAsync-SlotsRanksFunction',
      DATABASE_URL: ctx.databaseUrls.forum,
    });
  });

  it("gives every function the forum process's URL as FORUM_URL (the saga's grant and cancel steps), over stage 03's environment", () => {
    const environment = stage.localAws.functionEnvironment(ctx);

    expect(environment).toMatchObject({
      FORUM_URL: `http://127.0.0.1:${ctx.ports.forum}`,
      DATABASE_URL: ctx.databaseUrls.slots,
      JWKS_URL: `http://127.0.0.1:${ctx.ports.users}/.well-known/jwks.json`,
    });
  });

  it("migrates the forum and slots databases from this stage's prisma folders", () => {
    const dirs = Object.fromEntries(stage.databases.map((db) => [db.name, db.migrationsDir]));

    expect(dirs.forum).toMatch(/04-async\/prisma\/forum\/migrations$/);
    expect(dirs.slots).toMatch(/04-async\/prisma\/slots\/migrations$/);
    expect(dirs.users).toMatch(/02-containers\/prisma\/users\/migrations$/);
  });

  it('sends /api/slots/* to the HTTP API and reports stage 04 from every process', () => {
    const gateway = stage.processes.find(({ name }) => name === 'gateway');

    expect(gateway?.env?.(ctx)).toMatchObject({ SLOTS_URL: ctx.httpApis.SlotsApi, STAGE: '04' });
    for (const process of stage.processes) expect(process.env?.(ctx).STAGE).toBe('04');
  });
});
