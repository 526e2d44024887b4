import type { EdgeProtectionStack } from '@course/serverless/cdk/edge-protection-stack';
import {
  addStageStacks,
  type StageOptions as ServerlessStageOptions,
} from '@course/serverless/cdk/stage-app';
import type { App } from 'aws-cdk-lib';
import { AsyncStack, type AsyncStackProps } from './async-stack.ts';
import {
  DATABASE_SETUP_COMMAND,
  databaseProvisioning,
  slotsMigrationsImage,
  stageImage,
} from './images.ts';

/** Stage 03's options, and who gets the alarms (AsyncStackProps). */
export interface StageOptions extends ServerlessStageOptions, Pick<AsyncStackProps, 'alarmEmail'> {}

/**
 * Stage 04's stacks in `app` (stage 03's way, with this stage's stack and images), and cdk-nag's
 * checks: what `cdk/app.ts` deploys and what the tests synthesize.
 */
export function addStage(
  app: App,
  options: StageOptions = {},
): { stack: AsyncStack; edge: EdgeProtectionStack | undefined } {
  return addStageStacks(app, options, {
    stage: '04',
    stackId: 'CourseAsync',
    description:
      'stage 03 plus domain events on SNS, SQS queues with dead-letter queues, the leaderboard ' +
      'projection, jackpot announcements and the audit log; the purchase saga on Step Functions',
    images: {
      image: stageImage,
      slotsMigrationsImage,
      databaseProvisioning,
      databaseSetupCommand: DATABASE_SETUP_COMMAND,
    },
    stack: (scope, id, props) =>
      new AsyncStack(scope, id, { ...props, alarmEmail: options.alarmEmail }),
  });
}
