import { applyCourseNagChecks, availabilityZonesOption } from '@course/constructs';
import { webAppSource } from '@course/containers/cdk/web-app';
import { App } from 'aws-cdk-lib';
import { EdgeProtectionStack } from './edge-protection-stack.ts';
import {
  CONTAINER_HEALTH_CHECK,
  DATABASE_SETUP_COMMAND,
  databaseProvisioning,
  HEALTH_CHECK_GRACE_PERIOD,
  slotsMigrationsImage,
  stageImage,
} from './images.ts';
import { containerRoutes } from './routes.ts';
import { ServerlessStack } from './serverless-stack.ts';

// `pnpm cdk deploy` runs this. The only file that reads the environment and the context: the
// account and region come from the AWS CLI profile when there is one; without one (offline
// `pnpm synth`, the local runtime) the stage's stack is environment-agnostic and still
// synthesizes, without the edge stack: a cross-region reference needs both regions by name, and
// the local runtime serves one stack. test/cdk-edge.test.ts synthesizes the two together.
//   -c availabilityZones=us-east-1a,us-east-1b   zones that offer CloudFront VPC origins
//   -c edgeRateLimit=off                        no web ACL (saves ~$6 a month; see the README)
//   -c reservedConcurrency=5                    reserve concurrency per slots function
//   -c rdsProxy=on                              an RDS Proxy in front of the database
const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
const deploying = account !== undefined && region !== undefined;

const edge =
  deploying && app.node.tryGetContext('edgeRateLimit') !== 'off'
    ? new EdgeProtectionStack(app, 'CourseServerlessEdge', {
        description: 'Course stage 03: the web ACL of its CloudFront distribution (us-east-1)',
        env: { account, region: 'us-east-1' },
      })
    : undefined;

const reservedConcurrency = app.node.tryGetContext('reservedConcurrency');
new ServerlessStack(app, 'CourseServerless', {
  description:
    'Course stage 03: users and forum on ECS Fargate, slots as Lambda functions behind an HTTP ' +
    'API, one RDS server, CloudFront + S3',
  env: { account, region },
  crossRegionReferences: edge !== undefined,
  routes: containerRoutes,
  image: stageImage,
  slotsMigrationsImage,
  databaseProvisioning,
  databaseSetupCommand: DATABASE_SETUP_COMMAND,
  containerHealthCheck: CONTAINER_HEALTH_CHECK,
  healthCheckGracePeriod: HEALTH_CHECK_GRACE_PERIOD,
  site: webAppSource(),
  webAclArn: edge?.webAclArn,
  reservedConcurrency: reservedConcurrency === undefined ? undefined : Number(reservedConcurrency),
  rdsProxy: app.node.tryGetContext('rdsProxy') === 'on',
  availabilityZones: availabilityZonesOption(app.node.tryGetContext('availabilityZones')),
});
applyCourseNagChecks(app);
