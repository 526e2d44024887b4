import { applyCourseNagChecks } from '@course/constructs';
import { webAppSource } from '@course/containers/cdk/web-app';
import { EdgeProtectionStack } from '@course/serverless/cdk/edge-protection-stack.ts';
import { containerRoutes } from '@course/serverless/cdk/routes.ts';
import type { StageOptions } from '@course/serverless/cdk/stage-app.ts';
import type { App } from 'aws-cdk-lib';
import { AsyncStack } from './async-stack.ts';
import {
  DATABASE_SETUP_COMMAND,
  databaseProvisioning,
  slotsMigrationsImage,
  stageImage,
} from './images.ts';

export type { StageOptions };

/**
 * Stage 04's stacks in `app`, with the stage's images, stage 03's routes and edge stack, the
 * site, and cdk-nag's checks: what `cdk/app.ts` deploys and what the tests synthesize.
 */
export function addStage(
  app: App,
  options: StageOptions = {},
): { stack: AsyncStack; edge: EdgeProtectionStack | undefined } {
  const { env = {} } = options;
  const concrete = env.account !== undefined && env.region !== undefined;
  const edge =
    concrete && (options.edgeRateLimit ?? true)
      ? new EdgeProtectionStack(app, 'CourseAsyncEdge', {
          description: 'Course stage 04: the web ACL of its CloudFront distribution (us-east-1)',
          env: { account: env.account, region: 'us-east-1' },
        })
      : undefined;
  const stack = new AsyncStack(app, 'CourseAsync', {
    description:
      'Course stage 04: stage 03 plus domain events on SNS, SQS queues with dead-letter queues, ' +
      'the leaderboard projection, jackpot announcements and the audit log',
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
