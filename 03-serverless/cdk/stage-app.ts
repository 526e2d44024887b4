import { applyCourseNagChecks } from '@course/constructs';
import { webAppSource } from '@course/containers/cdk/web-app';
import type { App, Environment } from 'aws-cdk-lib';
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

/**
 * Stage 03's stacks in `app`, with the stage's images, routes and site, and cdk-nag's checks:
 * what `cdk/app.ts` deploys and what the tests synthesize.
 */
export function addStage(
  app: App,
  options: StageOptions = {},
): { stack: ServerlessStack; edge: EdgeProtectionStack | undefined } {
  const { env = {} } = options;
  const concrete = env.account !== undefined && env.region !== undefined;
  const edge =
    concrete && (options.edgeRateLimit ?? true)
      ? new EdgeProtectionStack(app, 'CourseServerlessEdge', {
          description: 'Course stage 03: the web ACL of its CloudFront distribution (us-east-1)',
          env: { account: env.account, region: 'us-east-1' },
        })
      : undefined;
  const stack = new ServerlessStack(app, 'CourseServerless', {
    description:
      'Course stage 03: users and forum on ECS Fargate, slots as Lambda functions behind an ' +
      'HTTP API, one RDS server, CloudFront + S3',
    env,
    crossRegionReferences: edge !== undefined,
    routes: containerRoutes,
    image: stageImage,
    slotsMigrationsImage,
    databaseProvisioning,
    databaseSetupCommand: DATABASE_SETUP_COMMAND,
    site: webAppSource(),
    webAclArn: edge?.webAclArn,
    reservedConcurrency: options.reservedConcurrency,
    rdsProxy: options.rdsProxy,
    availabilityZones: options.availabilityZones,
  });
  applyCourseNagChecks(app);
  return { stack, edge };
}
