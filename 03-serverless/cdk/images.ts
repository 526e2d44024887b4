import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOf } from '@course/containers/cdk/bundles';
import {
  DATABASE_PROVISIONING_COMMAND,
  imageOfBundle,
  serviceImage,
} from '@course/containers/cdk/images';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import type { ContainerServiceName } from './serverless-stack.ts';

export { DATABASE_SETUP_COMMAND } from '@course/containers/cdk/images';

/*
 * Stage 03's own images, built like stage 02's (its bundles, its Dockerfile, linux/arm64 at
 * `cdk deploy`). Users and the slots migrations use stage 02's images unchanged (`serviceImage`).
 */

const stageDir = fileURLToPath(new URL('..', import.meta.url));
const containersDir = dirname(
  fileURLToPath(import.meta.resolve('@course/containers/package.json')),
);

/** Each container service's image: users is stage 02's, the forum this stage's. */
export function stageImage(scope: Construct, service: ContainerServiceName): ecs.ContainerImage {
  return service === 'users' ? serviceImage(scope, 'users') : forumImage(scope);
}

/**
 * Stage 02's slots image, for its database setup only (the migrations of slots' database, with
 * slots' own password): its server does not run in this stage.
 */
export function slotsMigrationsImage(scope: Construct): ecs.ContainerImage {
  return serviceImage(scope, 'slots');
}

/** The forum: stage 02's bundle of it, with this stage's server (badges over Lambda Invoke). */
export function forumImage(scope: Construct): ecs.ContainerImage {
  const forum = bundleOf('forum');
  return imageOfBundle(scope, 'forum-03', {
    ...forum,
    packageDir: stageDir,
    entryPoints: { ...forum.entryPoints, server: join(stageDir, 'src/forum/server.ts') },
  });
}

/** This stage's: the functions' IAM role and its rights on the slots tables (after migrations). */
export const DATABASE_IAM_ACCESS_COMMAND = ['node', 'database-iam-access.mjs'];

/**
 * The provisioning image, with both programs (plain SQL through pg, no migrations), and their
 * commands: stage 02's (every service's role and database) and this stage's.
 */
export const databaseProvisioning = {
  image: databaseProvisioningImage,
  command: DATABASE_PROVISIONING_COMMAND,
  iamAccessCommand: DATABASE_IAM_ACCESS_COMMAND,
};

function databaseProvisioningImage(scope: Construct): ecs.ContainerImage {
  return imageOfBundle(scope, 'database-provisioning-03', {
    packageDir: stageDir,
    includeNodeRuntime: false,
    entryPoints: {
      'database-provisioning': join(containersDir, 'src/database-provisioning.ts'),
      'database-iam-access': join(stageDir, 'src/database-iam-access.ts'),
    },
  });
}
