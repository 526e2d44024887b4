import { applyCourseNagChecks } from '@course/constructs';
import { App } from 'aws-cdk-lib';
import { monolithAppAsset } from './app-bundle.ts';
import { MonolithStack } from './monolith-stack.ts';

// `pnpm cdk deploy` runs this. The only file that reads the environment: the account and region
// come from the AWS CLI profile when there is one; without one (offline `pnpm synth`) the stack
// is environment-agnostic and still synthesizes.
const app = new App();
new MonolithStack(app, 'CourseMonolith', {
  description: 'Course stage 00: the monolith on EC2 + RDS PostgreSQL',
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  },
  appAsset: monolithAppAsset,
});
applyCourseNagChecks(app);
