import { join } from 'node:path';
import { markApplicationStateMachine } from '@course/constructs';
import { pinLogicalId, type ServerlessTopology } from '@course/serverless/cdk/serverless-stack';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { type PurchaseStepName, SAGA_ERRORS, SAGA_FAILURES } from '../src/purchases/saga.ts';
import { LOGICAL_IDS } from './logical-ids.ts';

const stepsDir = join(import.meta.dirname, '..', 'src', 'purchases', 'functions');

/**
 * How each step retries what it did not finish: any error but the business ones (which the
 * first retrier of a step lists), with exponential backoff. The forward steps give up after
 * seconds (1 + 2 + 4), and the saga compensates; the compensations try for about two minutes
 * (2 + 4 + … + 64), as giving up on one leaves the purchase for an operator.
 */
export const STEP_RETRY = {
  forward: { interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3 },
  compensation: { interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6 },
} as const;

/** Where each step's outcome lands in the execution's state (`$.debit.outcome`, …). */
export const STEP_RESULT_PATHS: Record<PurchaseStepName, string> = {
  debit: '$.debit',
  grant: '$.grant',
  cancelGrant: '$.cancelGrant',
  refund: '$.refund',
};

/** Where a caught error lands: beside the purchase id, which the compensations still need. */
export const CAUGHT_ERROR_PATH = '$.error';

export interface PurchaseSagaProps {
  /** Stage 03's topology: the step functions are slots functions of it (VPC, database). */
  topology: ServerlessTopology;
  /** Where the debit and refund steps publish CreditsSpent and CreditsRefunded. */
  eventsTopic: sns.ITopic;
}

/**
 * The purchase of a forum title with slot credits, as a saga orchestrated by a Step Functions
 * state machine: Debit (slots) → Grant (forum), and when the grant fails for good, CancelGrant
 * then Refund. Each step is a slots function (`addSlotsFunction`: in the isolated subnets, logged
 * in to the slots database) invoked with only `{purchaseId}`; src/purchases/saga.ts is the
 * contract between the definition and the steps.
 *
 * Defaults: a Standard workflow (see below), no execution timeout (every step's retries are
 * bounded, and a timed-out execution would stop mid-saga, with no compensation), its log group
 * at level ERROR without execution data, kept a week, no X-Ray tracing. The state machine's role
 * may only invoke the four step functions (and deliver its logs).
 *
 * Why Standard and not Express: an Express workflow runs at least once (an execution may run
 * twice) and at most 5 minutes, keeps no execution history, and does not refuse a second
 * execution of the same name; the saga moves credits, its compensations retry for minutes, and
 * the purchase id as the execution's name is what makes starting it twice harmless. Standard
 * runs exactly once, up to a year, with 90 days of history, and is billed per state transition.
 */
export class PurchaseSaga extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly debit: NodejsFunction;
  readonly grant: NodejsFunction;
  readonly cancelGrant: NodejsFunction;
  readonly refund: NodejsFunction;
  /** The steps that append events to the outbox and relay them (debit, refund). */
  readonly publishers: readonly NodejsFunction[];

  constructor(scope: Construct, id: string, props: PurchaseSagaProps) {
    super(scope, id);
    const { topology } = props;

    // The steps. Debit and refund move credits, so they write CreditsSpent / CreditsRefunded to
    // the outbox and relay them like the write function; grant and cancel call the forum's
    // internal path over Cloud Map's private DNS (forum.course.internal), which the forum's
    // group admits from the functions' group.
    const publishes = { EVENTS_TOPIC_ARN: props.eventsTopic.topicArn };
    const callsForum = { FORUM_URL: topology.forum.url };
    const step = (
      name: string,
      file: string,
      description: string,
      environment: Record<string, string>,
      logicalId: string,
    ): NodejsFunction => {
      const fn = topology.addSlotsFunction(name, {
        entry: join(stepsDir, file),
        description: `Purchase saga: ${description}`,
        environment,
      });
      pinLogicalId(fn, logicalId);
      return fn;
    };
    this.debit = step(
      'PurchaseDebit',
      'debit.ts',
      'debits the price from the wallet',
      publishes,
      LOGICAL_IDS.debitFunction,
    );
    this.grant = step(
      'PurchaseGrant',
      'grant.ts',
      'grants the title in the forum',
      callsForum,
      LOGICAL_IDS.grantFunction,
    );
    this.cancelGrant = step(
      'PurchaseCancelGrant',
      'cancel-grant.ts',
      'revokes the title, or refuses it for good',
      callsForum,
      LOGICAL_IDS.cancelGrantFunction,
    );
    this.refund = step(
      'PurchaseRefund',
      'refund.ts',
      'returns the credits',
      publishes,
      LOGICAL_IDS.refundFunction,
    );
    this.publishers = [this.debit, this.refund];
    topology.forum.admit(
      topology.functionsSecurityGroup,
      'slots functions -> forum: title grants (purchase saga)',
    );

    // Each step: invoked with the purchase id only (the step reads the rest from the record),
    // keeping only its outcome, under its own path, so the state still carries the purchase id.
    const invoke = (stateName: string, fn: NodejsFunction, name: PurchaseStepName) =>
      new tasks.LambdaInvoke(this, stateName, {
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject({ purchaseId: sfn.JsonPath.stringAt('$.purchaseId') }),
        resultSelector: { outcome: sfn.JsonPath.stringAt('$.Payload.outcome') },
        resultPath: STEP_RESULT_PATHS[name],
        // The retriers below cover the Lambda service's own errors (throttling, 5xx) as well.
        retryOnServiceExceptions: false,
      });
    const transient = (retry: (typeof STEP_RETRY)[keyof typeof STEP_RETRY]): sfn.RetryProps => ({
      errors: [sfn.Errors.ALL],
      ...retry,
    });
    const caught = { errors: [sfn.Errors.ALL], resultPath: CAUGHT_ERROR_PATH };

    const notDebited = new sfn.Fail(this, SAGA_FAILURES.notDebited, {
      error: SAGA_FAILURES.notDebited,
      cause: 'Not enough credits, or the purchase had already ended: nothing was debited.',
    });
    const refunded = new sfn.Fail(this, SAGA_FAILURES.refunded, {
      error: SAGA_FAILURES.refunded,
      cause: 'The title was not granted, and whatever was debited has been refunded.',
    });
    const compensationFailed = new sfn.Fail(this, SAGA_FAILURES.compensationFailed, {
      error: SAGA_FAILURES.compensationFailed,
      cause:
        'A compensation step failed after all its retries: the purchase record says which; ' +
        'redrive the execution once the cause is fixed.',
    });
    const completed = new sfn.Succeed(this, 'Completed', {
      comment: 'Debited and granted: the grant step marked the purchase completed.',
    });

    const refund = invoke('Refund', this.refund, 'refund')
      .addRetry(transient(STEP_RETRY.compensation))
      .addCatch(compensationFailed, caught)
      .next(refunded);
    // Revoke (or forbid) the grant before refunding: a grant that took effect but whose answer
    // was lost must not leave the player with the title and the credits.
    const cancelGrant = invoke('CancelGrant', this.cancelGrant, 'cancelGrant')
      .addRetry(transient(STEP_RETRY.compensation))
      .addCatch(compensationFailed, caught)
      .next(refund);
    const grant = invoke('Grant', this.grant, 'grant')
      // A refusal is for good (owned already, or cancelled): no retry, compensate at once.
      .addRetry({ errors: [SAGA_ERRORS.titleRefused], maxAttempts: 0 })
      .addRetry(transient(STEP_RETRY.forward))
      .addCatch(cancelGrant, caught)
      .next(completed);
    // A debit that failed for good may still have taken effect (its answer lost): refund, which
    // returns the credits only if they were debited.
    const debit = invoke('Debit', this.debit, 'debit')
      .addRetry(transient(STEP_RETRY.forward))
      .addCatch(refund, caught)
      .next(
        new sfn.Choice(this, 'Debited?')
          .when(sfn.Condition.stringEquals(`${STEP_RESULT_PATHS.debit}.outcome`, 'debited'), grant)
          .otherwise(notDebited),
      );

    // Only errors: a Standard workflow already keeps every execution's full history (each
    // state's input and output, each attempt's error) for 90 days, in the console and through
    // GetExecutionHistory, at no extra cost. The log adds what the history lacks, a search across
    // executions (Logs Insights) for the failed ones, and without execution data each line is a
    // few hundred bytes: the execution's ARN, whose name is the purchase id, leads to the rest.
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_WEEK,
      // DESTROY: a course lab must leave nothing behind (and nothing billed) after `cdk destroy`.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = markApplicationStateMachine(
      new sfn.StateMachine(this, 'StateMachine', {
        comment: 'Purchase of a forum title with slot credits: a saga (cdk/purchase-saga.ts)',
        stateMachineType: sfn.StateMachineType.STANDARD,
        definitionBody: sfn.DefinitionBody.fromChainable(debit),
        logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
        tracingEnabled: false,
      }),
    );
    pinLogicalId(this.stateMachine, LOGICAL_IDS.purchaseSaga);

    NagSuppressions.addResourceSuppressions(
      this.stateMachine,
      [
        {
          id: 'AwsSolutions-SF1',
          reason:
            'Errors only: a Standard workflow keeps the full history of every execution (each ' +
            "state's input, output and errors) for 90 days at no cost; the log is for searching " +
            'the failed ones across executions.',
        },
        {
          id: 'AwsSolutions-SF2',
          reason:
            'No X-Ray: the steps are not traced (the course follows a request by its id), so a ' +
            "trace would show only the state machine's side, which its execution history already " +
            'times step by step; tracing would also need X-Ray rights on every resource.',
        },
        {
          id: 'AwsSolutions-IAM5',
          appliesTo: [
            { regex: `/^Resource::<(${stepLogicalIds().join('|')})\\.Arn>:\\*$/g` },
            'Resource::*',
          ],
          reason:
            'lambda:InvokeFunction on the four step functions and their versions and aliases, as ' +
            '`LambdaInvoke` writes it, and no other function; and the log delivery actions, ' +
            'which CloudWatch Logs authorizes on all resources only (Step Functions, IAM ' +
            'policies for logging to CloudWatch Logs).',
        },
      ],
      true,
    );
  }
}

function stepLogicalIds(): string[] {
  return [
    LOGICAL_IDS.debitFunction,
    LOGICAL_IDS.grantFunction,
    LOGICAL_IDS.cancelGrantFunction,
    LOGICAL_IDS.refundFunction,
  ];
}
