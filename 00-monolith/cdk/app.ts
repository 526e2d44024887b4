import { applyCourseNagChecks, availabilityZonesOption } from '@course/constructs';
import { App } from 'aws-cdk-lib';
import { monolithAppAsset } from './app-bundle.ts';
import { MonolithStack } from './monolith-stack.ts';

// `pnpm cdk deploy` runs this. The only file that reads the environment and the context: the
// account and region come from the AWS CLI profile when there is one; without one (offline
// `pnpm synth`) the stack is environment-agnostic and still synthesizes. The zones may be chosen
// with `-c availabilityZones=us-east-1a,us-east-1b` (see the README: not every zone offers
// CloudFront VPC origins).
const app = new App();
new MonolithStack(app, 'CourseMonolith', {
  description: 'Course stage 00: the monolith on EC2 + RDS PostgreSQL, behind CloudFront',
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  },
  appAsset: monolithAppAsset,
  availabilityZones: availabilityZonesOption(app.node.tryGetContext('availabilityZones')),
});
applyCourseNagChecks(app);
