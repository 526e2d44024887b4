import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeAppBundleProps } from '@course/constructs';
import { Duration, Stage } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import type { Service } from '../src/services.ts';
import { type BundledProcess, buildImageContext, bundleOf } from './bundles.ts';

export { DATABASE_PROVISIONING_COMMAND, DATABASE_SETUP_COMMAND } from './bundles.ts';
export type { Service };

/**
 * The service's image, built for linux/arm64 (Graviton) by `cdk deploy` and pushed to the CDK
 * bootstrap ECR repository. Its build context is the service's bundle (bundles.ts), built here
 * at synth into the cloud assembly's folder: the asset's hash is the hash of that folder, so only
 * a service whose bundle changed gets a new image and a new deployment. Synthesis needs no
 * Docker; `cdk deploy` does.
 */
export function serviceImage(scope: Construct, service: Service): ecs.ContainerImage {
  return bundleImage(scope, service);
}

/**
 * The image of the one-off database provisioning task (src/database-provisioning.ts), built
 * like the services' images from a bundle of its own.
 */
export function databaseProvisioningImage(scope: Construct): ecs.ContainerImage {
  return bundleImage(scope, 'database-provisioning');
}

function bundleImage(scope: Construct, name: BundledProcess): ecs.ContainerImage {
  return imageOfBundle(scope, name, bundleOf(name));
}

/**
 * An image built, like this stage's, from `bundle` with this stage's Dockerfile, its build context
 * at `bundles/<name>` in the cloud assembly's folder (`name` must be unique within the app).
 */
export function imageOfBundle(
  scope: Construct,
  name: string,
  bundle: NodeAppBundleProps,
): ecs.ContainerImage {
  const outdir = Stage.of(scope)?.outdir;
  if (outdir === undefined) throw new Error(`${scope.node.path} is not inside a CDK app`);
  const contextDir = join(outdir, 'bundles', name);
  rmSync(contextDir, { recursive: true, force: true });
  mkdirSync(contextDir, { recursive: true });
  buildImageContext(contextDir, bundle);
  return ecs.ContainerImage.fromAsset(contextDir, { platform: Platform.LINUX_ARM64 });
}

/**
 * How long after a task starts ECS ignores failed health checks. From `pnpm measure-startup`
 * (25 % of one CPU, the tasks' 0.25 vCPU, against embedded PostgreSQL; see the README): a
 * service's database setup took at most 1.6 s from its bundle, and its server at most 2.5 s
 * from process start to /readyz, about 4 s together. A Graviton vCPU share, the image pull, TLS
 * to RDS and a cold file cache are not in that figure, so the grace allows some fifteen times
 * as much; a task that has not come up within a minute is broken, and the circuit breaker rolls
 * the deployment back sooner than with the two minutes this replaced.
 */
export const HEALTH_CHECK_GRACE_PERIOD = Duration.seconds(60);

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
