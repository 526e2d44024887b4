import { applyCourseNagChecks } from '@course/constructs';
import { webAppSource } from '@course/containers/cdk/web-app';
import type { App, Environment, Stack } from 'aws-cdk-lib';
import { EdgeProtectionStack } from './edge-protection-stack.ts';
import {
  DATABASE_SETUP_COMMAND,
  databaseProvisioning,
  slotsMigrationsImage,
  stageImage,
} from './images.ts';
import { containerRoutes } from './routes.ts';
import { ServerlessStack, type ServerlessStackProps } from './serverless-stack.ts';

export interface StageOptions
  extends Pick<ServerlessStackProps, 'reservedConcurrency' | 'rdsProxy' | 'availabilityZones'> {
  /** Where to deploy; without both an account and a region, the stack is environment-agnostic. */
  env?: Environment;
  /**
   * The web ACL with the per-client rate limit, in a us-east-1 stack of its own. It needs the
   * account and region by name (a cross-region reference), so it is left out without them.
   * @default true
   */
  edgeRateLimit?: boolean;
}

/** What differs between the stages built on this one's topology: names, images, the stack. */
export interface StageDefinition<S extends Stack> {
  /** The stage's number, in the stacks' descriptions. */
  stage: string;
  /** The stage's stack id; its edge stack's is this followed by `Edge`. */
  stackId: string;
  /** What the stage's stack holds, for its description. */
  description: string;
  /** Each container service's image, the slots migrations' and the provisioning's. */
  images: Pick<
    ServerlessStackProps,
    'image' | 'slotsMigrationsImage' | 'databaseProvisioning' | 'databaseSetupCommand'
  >;
  stack: (app: App, id: string, props: ServerlessStackProps) => S;
}

/**
 * A stage's stacks in `app`: its stack, with stage 03's routes, the site and the given images,
 * and the edge stack when the environment is concrete; and cdk-nag's checks.
 */
export function addStageStacks<S extends Stack>(
  app: App,
  options: StageOptions,
  definition: StageDefinition<S>,
): { stack: S; edge: EdgeProtectionStack | undefined } {
  const { env = {} } = options;
  const concrete = env.account !== undefined && env.region !== undefined;
  const edge =
    concrete && (options.edgeRateLimit ?? true)
      ? new EdgeProtectionStack(app, `${definition.stackId}Edge`, {
          description: `Course stage ${definition.stage}: the web ACL of its CloudFront distribution (us-east-1)`,
          env: { account: env.account, region: 'us-east-1' },
        })
      : undefined;
  const stack = definition.stack(app, definition.stackId, {
    description: `Course stage ${definition.stage}: ${definition.description}`,
    env,
    crossRegionReferences: edge !== undefined,
    routes: containerRoutes,
    ...definition.images,
    site: webAppSource(),
    webAclArn: edge?.webAclArn,
    reservedConcurrency: options.reservedConcurrency,
    rdsProxy: options.rdsProxy,
    availabilityZones: options.availabilityZones,
  });
  applyCourseNagChecks(app);
  return { stack, edge };
}

/**
 * Stage 03's stacks in `app`, with the stage's images, routes and site, and cdk-nag's checks:
 * what `cdk/app.ts` deploys and what the tests synthesize.
 */
export function addStage(
  app: App,
  options: StageOptions = {},
): { stack: ServerlessStack; edge: EdgeProtectionStack | undefined } {
  return addStageStacks(app, options, {
    stage: '03',
    stackId: 'CourseServerless',
    description:
      'users and forum on ECS Fargate, slots as Lambda functions behind an HTTP API, one RDS ' +
      'server, CloudFront + S3',
    images: {
      image: stageImage,
      slotsMigrationsImage,
      databaseProvisioning,
      databaseSetupCommand: DATABASE_SETUP_COMMAND,
    },
    stack: (scope, id, props) => new ServerlessStack(scope, id, props),
  });
}
