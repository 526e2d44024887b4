import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Service } from '../src/services.ts';

export type { Service };

// The build context is the repository root, as for `docker build -f 02-containers/Dockerfile .`:
// the services depend on workspace packages outside this folder (see /.dockerignore).
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The service's image: the Dockerfile's target of that name, built for linux/arm64 (Graviton)
 * by `cdk deploy` and pushed to the CDK bootstrap ECR repository. Synthesis only stages the
 * build context; no Docker is needed until deploy.
 */
export function serviceImage(service: Service): ecs.ContainerImage {
  return dockerfileTarget(service);
}

/**
 * The image of the one-off database provisioning task (src/database-provisioning.ts): the
 * Dockerfile's `database-provisioning` target, built like the services' images.
 */
export function databaseProvisioningImage(): ecs.ContainerImage {
  return dockerfileTarget('database-provisioning');
}

function dockerfileTarget(target: string): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(repositoryRoot, {
    file: '02-containers/Dockerfile',
    target,
    platform: Platform.LINUX_ARM64,
  });
}

/**
 * The Dockerfile's HEALTHCHECK, repeated because ECS ignores an image's own: liveness only
 * (/healthz), with Node's fetch as the slim image has no curl. A test keeps the two equal.
 * (ECS has no equivalent of `--start-interval`.)
 */
export const CONTAINER_HEALTH_CHECK: ecs.HealthCheck = {
  command: [
    'CMD',
    'node',
    '-e',
    "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
  ],
  interval: Duration.seconds(30),
  timeout: Duration.seconds(3),
  startPeriod: Duration.seconds(30),
  retries: 3,
};

/** The one-shot database setup, run from the service's own image before the service starts. */
export const DATABASE_SETUP_COMMAND = ['node', '--import', 'tsx', 'src/database-setup.ts'];
