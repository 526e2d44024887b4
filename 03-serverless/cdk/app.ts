import { applyCourseNagChecks, availabilityZonesOption } from '@course/constructs';
import { App } from 'aws-cdk-lib';
import { ServerlessStack } from './serverless-stack.ts';

// `pnpm cdk deploy` runs this. The only file that reads the environment and the context: the
// account and region come from the AWS CLI profile when there is one; without one (offline
// `pnpm synth`) the stack is environment-agnostic and still synthesizes.
const app = new App();
new ServerlessStack(app, 'CourseServerless', {
  description: 'Course stage 03: slots as Lambda functions behind an HTTP API',
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  },
  availabilityZones: availabilityZonesOption(app.node.tryGetContext('availabilityZones')),
});
applyCourseNagChecks(app);
