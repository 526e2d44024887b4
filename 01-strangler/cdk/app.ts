import { applyCourseNagChecks, availabilityZonesOption } from '@course/constructs';
import { monolithAppAsset } from '@course/monolith/cdk';
import { App } from 'aws-cdk-lib';
import routes from '../routes.ts';
import { slotsAppAsset } from './app-bundle.ts';
import { StranglerStack } from './strangler-stack.ts';

// `pnpm cdk deploy` runs this. The only file that reads the environment and the context: the
// account and region come from the AWS CLI profile when there is one; without one (offline
// `pnpm synth`) the stack is environment-agnostic and still synthesizes. The zones may be chosen
// with `-c availabilityZones=us-east-1a,us-east-1b` (see the README: not every zone offers
// CloudFront VPC origins).
const app = new App();
new StranglerStack(app, 'CourseStrangler', {
  description:
    'Course stage 01: the strangler fig, the monolith and the slots service behind one ALB and CloudFront',
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  },
  routes,
  monolithAsset: monolithAppAsset,
  slotsAsset: slotsAppAsset,
  availabilityZones: availabilityZonesOption(app.node.tryGetContext('availabilityZones')),
});
applyCourseNagChecks(app);
