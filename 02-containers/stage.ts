import { fileURLToPath } from 'node:url';
import type {
  DatabaseDefinition,
  ProcessDefinition,
  StageContext,
  StageDefinition,
} from '@course/local';
import { migrationsOf, type Service } from './src/services.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

function database(name: Service): DatabaseDefinition {
  return {
    name,
    ...migrationsOf(name),
    seed: {
      name: `seed-${name}`,
      cwd: here,
      command: ['node', '--import', 'tsx', 'src/seed.ts', name],
      env: (ctx) => ({ DATABASE_URL: ctx.databaseUrls[name] ?? '' }),
    },
  };
}

const urlOf = (ctx: StageContext, process: string) => `http://127.0.0.1:${ctx.ports[process]}`;

/**
 * A service of this stage: its entrypoint, run from the sources (its image runs the same file
 * compiled, see cdk/bundles.ts), its port and environment.
 */
function service(
  name: Service,
  env: (ctx: StageContext) => Record<string, string>,
): ProcessDefinition {
  return {
    name,
    cwd: here,
    command: ['node', '--import', 'tsx', `src/${name}/server.ts`],
    readyPath: '/readyz',
    port: (ctx) => ctx.ports[name] ?? 0,
    env: (ctx) => ({
      PORT: String(ctx.ports[name]),
      STAGE: '02',
      DATABASE_URL: ctx.databaseUrls[name] ?? '',
      ...env(ctx),
    }),
  };
}

const jwksUrl = (ctx: StageContext) => `${urlOf(ctx, 'users')}/.well-known/jwks.json`;

/**
 * Stage 02: three services, each with its own database, behind the gateway on the public port.
 * Users signs tokens and publishes its keys; forum and slots verify with them. The forum finds
 * the slots service at the address its environment gives it (on AWS, a Cloud Map name).
 */
export default {
  id: '02',
  title: 'containers',
  databases: [database('users'), database('forum'), database('slots')],
  processes: [
    service('users', (ctx) => ({ JWT_PRIVATE_JWK: ctx.secrets.jwtPrivateJwk })),
    service('slots', (ctx) => ({ JWKS_URL: jwksUrl(ctx) })),
    service('forum', (ctx) => ({ JWKS_URL: jwksUrl(ctx), SLOTS_URL: urlOf(ctx, 'slots') })),
    {
      name: 'gateway',
      cwd: here,
      command: ['node', '--import', 'tsx', 'src/gateway/server.ts'],
      readyPath: '/readyz',
      port: (ctx) => ctx.publicPort,
      env: (ctx) => ({
        PORT: String(ctx.publicPort),
        STAGE: '02',
        USERS_URL: urlOf(ctx, 'users'),
        FORUM_URL: urlOf(ctx, 'forum'),
        SLOTS_URL: urlOf(ctx, 'slots'),
      }),
    },
  ],
  publicProcess: 'gateway',
} satisfies StageDefinition;
