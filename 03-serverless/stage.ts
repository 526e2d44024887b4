import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LOCAL_CONCURRENCY } from '@course/aws-local/lambda';
import stage02 from '@course/containers/stage';
import type { ProcessDefinition, StageContext, StageDefinition } from '@course/local';
import { LOGICAL_IDS } from './cdk/logical-ids.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const STAGE = '03';

const urlOf = (ctx: StageContext, process: string) => `http://127.0.0.1:${ctx.ports[process]}`;
export const jwksUrl = (ctx: StageContext) => `${urlOf(ctx, 'users')}/.well-known/jwks.json`;

/**
 * A process of an earlier stage, kept as it is but for the stage it reports (`stage`) and `env`'s
 * overrides.
 */
export function processOf(
  earlier: Pick<StageDefinition, 'processes'>,
  name: string,
  stage: string,
  env: (ctx: StageContext) => Record<string, string> = () => ({}),
): ProcessDefinition {
  const process = earlier.processes.find((candidate) => candidate.name === name);
  if (process === undefined) throw new Error(`the stage has no process named ${name}`);
  return { ...process, env: (ctx) => ({ ...process.env?.(ctx), STAGE: stage, ...env(ctx) }) };
}

/** host and port of a postgres:// URL, as an RDS instance's Endpoint.Address and .Port. */
export function endpointOf(databaseUrl: string): Record<string, string> {
  const url = new URL(databaseUrl);
  return { 'Endpoint.Address': url.hostname, 'Endpoint.Port': url.port || '5432' };
}

/**
 * Stage 03: users and the forum stay processes (containers on AWS), slots is Lambda functions
 * behind an HTTP API, served locally from this stage's own CDK app by the local AWS runtime.
 * The databases are stage 02's, migrations and seeds included. The forum gets its badges by
 * invoking the ranks function; the gateway sends /api/slots/* to the HTTP API.
 */
export default {
  id: STAGE,
  title: 'serverless',
  databases: stage02.databases,
  localAws: {
    app: fileURLToPath(new URL('cdk/app.ts', import.meta.url)),
    // The RDS instance is not emulated: the functions' DATABASE_HOST/PORT come from the
    // embedded slots database, and DATABASE_URL (below) makes them use its password login.
    supplied: (ctx) => ({ [LOGICAL_IDS.database]: endpointOf(ctx.databaseUrls.slots ?? '') }),
    functionEnvironment: (ctx) => ({
      DATABASE_URL: ctx.databaseUrls.slots ?? '',
      JWKS_URL: jwksUrl(ctx),
      // The runtime's CA bundle exists only on Lambda, and a local connection uses no TLS.
      NODE_EXTRA_CA_CERTS: '',
      // The learner's LOG_LEVEL reaches the functions as it reaches the processes.
      ...(process.env.LOG_LEVEL ? { LOG_LEVEL: process.env.LOG_LEVEL } : {}),
    }),
    // On AWS each environment has a machine to itself; here they share this one's cores. Ten
    // environments of one function starting at once (each a Node.js process loading Prisma's query
    // compiler, each with its own connection to a database that runs one transaction at a time)
    // only slow each other down, past the gateway's deadline: a few warm ones serve a burst sooner.
    // One per core, at least two, and never more than the local runtime's own default.
    localConcurrency: Math.min(DEFAULT_LOCAL_CONCURRENCY, Math.max(2, availableParallelism())),
  },
  processes: [
    processOf(stage02, 'users', STAGE),
    {
      name: 'forum',
      cwd: here,
      command: ['node', '--import', 'tsx', 'src/forum/server.ts'],
      readyPath: '/readyz',
      port: (ctx) => ctx.ports.forum ?? 0,
      env: (ctx) => ({
        PORT: String(ctx.ports.forum),
        STAGE,
        DATABASE_URL: ctx.databaseUrls.forum ?? '',
        JWKS_URL: jwksUrl(ctx),
        RANKS_FUNCTION_NAME: ctx.functionNames[LOGICAL_IDS.ranksFunction] ?? '',
      }),
    },
    processOf(stage02, 'gateway', STAGE, (ctx) => ({
      SLOTS_URL: ctx.httpApis[LOGICAL_IDS.slotsApi] ?? '',
    })),
  ],
  publicProcess: 'gateway',
} satisfies StageDefinition;
