import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOf } from '@course/containers/cdk/bundles';
import { imageOfBundle, serviceImage } from '@course/containers/cdk/images';
import type { ContainerServiceName } from '@course/serverless/cdk/serverless-stack';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';

// The provisioning image and commands are stage 03's, unchanged: every service's role and
// database, then the functions' IAM role with rights on every table and sequence of slots, which
// covers this stage's new tables too.
export { DATABASE_SETUP_COMMAND, databaseProvisioning } from '@course/serverless/cdk/images';

/*
 * Stage 04's own images, built like stage 02's (a bundle, stage 02's Dockerfile, linux/arm64 at
 * `cdk deploy`): the forum runs this stage's server (the jackpot poller) with this stage's forum
 * schema (the announcements), and slots' migrations are this stage's (the outbox and the
 * leaderboard). Users is stage 02's image unchanged.
 */

const stageDir = fileURLToPath(new URL('..', import.meta.url));

/** Each container service's image: users is stage 02's, the forum this stage's. */
export function stageImage(scope: Construct, service: ContainerServiceName): ecs.ContainerImage {
  return service === 'users' ? serviceImage(scope, 'users') : forumImage(scope);
}

/** The forum: stage 02's bundle of it, with this stage's server and schema. */
function forumImage(scope: Construct): ecs.ContainerImage {
  const forum = bundleOf('forum');
  return imageOfBundle(scope, 'forum-04', {
    ...forum,
    packageDir: stageDir,
    entryPoints: { ...forum.entryPoints, server: join(stageDir, 'src/forum/server.ts') },
    prismaDir: join(stageDir, 'prisma/forum'),
  });
}

/**
 * Stage 02's database setup for slots, carrying this stage's slots schema and migrations (the
 * setup applies the ones bundled beside it); no server: no slots service runs in this stage.
 */
export function slotsMigrationsImage(scope: Construct): ecs.ContainerImage {
  const slots = bundleOf('slots');
  const { server: _server, ...setupOnly } = slots.entryPoints;
  return imageOfBundle(scope, 'slots-migrations-04', {
    ...slots,
    entryPoints: setupOnly,
    prismaDir: join(stageDir, 'prisma/slots'),
  });
}
