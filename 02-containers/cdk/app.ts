import { applyCourseNagChecks } from '@course/constructs';
import { App } from 'aws-cdk-lib';
import routes from '../routes.ts';
import { ContainersStack } from './containers-stack.ts';
import { databaseProvisioningImage, serviceImage } from './images.ts';
import { webAppSource } from './web-app.ts';

// `pnpm cdk deploy` runs this. The only file that reads the environment: the account and region
// come from the AWS CLI profile when there is one; without one (offline `pnpm synth`) the stack
// is environment-agnostic and still synthesizes.
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
  databaseProvisioningImage: databaseProvisioningImage(),
  site: webAppSource(),
});
applyCourseNagChecks(app);
