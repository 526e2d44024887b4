import { applyCourseNagChecks, availabilityZonesOption } from '@course/constructs';
import { App } from 'aws-cdk-lib';
import routes from '../routes.ts';
import { ContainersStack } from './containers-stack.ts';
import { databaseProvisioningImage, serviceImage } from './images.ts';
import { webAppSource } from './web-app.ts';

// `pnpm cdk deploy` runs this. The only file that reads the environment and the context: the
// account and region come from the AWS CLI profile when there is one; without one (offline
// `pnpm synth`) the stack is environment-agnostic and still synthesizes. The zones may be chosen
// with `-c availabilityZones=us-east-1a,us-east-1b` (see the README: not every zone offers
// CloudFront VPC origins).
const app = new App();
new ContainersStack(app, 'CourseContainers', {
  description:
    'Course stage 02: users, forum and slots on ECS Fargate, one RDS server, CloudFront + S3',
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  },
  routes,
  image: serviceImage,
  databaseProvisioningImage,
  site: webAppSource(),
  availabilityZones: availabilityZonesOption(app.node.tryGetContext('availabilityZones')),
});
applyCourseNagChecks(app);
