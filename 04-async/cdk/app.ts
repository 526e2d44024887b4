import { availabilityZonesOption } from '@course/constructs';
import { App } from 'aws-cdk-lib';
import { addStage } from './stage-app.ts';

// `pnpm cdk deploy` runs this. The only file that reads the environment and the context: the
// account and region come from the AWS CLI profile when there is one; without one (offline
// `pnpm synth`, the local runtime) the stage's stack is environment-agnostic and still
// synthesizes, without the edge stack: a cross-region reference needs both regions by name (and
// the local runtime serves one stack). test/cdk-stack.test.ts synthesizes the two together.
//   -c availabilityZones=us-east-1a,us-east-1b   zones that offer CloudFront VPC origins
//   -c edgeRateLimit=off                        no web ACL (saves ~$6 a month; see the README)
//   -c reservedConcurrency=5                    reserve 5 per slots API function, 4 of them (quota ≥ 120)
//   -c rdsProxy=on                              an RDS Proxy in front of the database
//   -c alarmEmail=you@example.com               e-mail the alarms to this address (default: no one)
const app = new App();
const reservedConcurrency = app.node.tryGetContext('reservedConcurrency');
addStage(app, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  edgeRateLimit: app.node.tryGetContext('edgeRateLimit') !== 'off',
  reservedConcurrency: reservedConcurrency === undefined ? undefined : Number(reservedConcurrency),
  rdsProxy: app.node.tryGetContext('rdsProxy') === 'on',
  availabilityZones: availabilityZonesOption(app.node.tryGetContext('availabilityZones')),
  alarmEmail: app.node.tryGetContext('alarmEmail'),
});
