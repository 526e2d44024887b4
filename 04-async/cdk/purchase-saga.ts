import { join } from 'node:path';
import { markApplicationStateMachine } from '@course/constructs';
import { pinLogicalId, type ServerlessTopology } from '@course/serverless/cdk/serverless-stack';
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  PURCHASE_METRICS,
  PURCHASE_METRICS_NAMESPACE,
} from '../src/purchases/reconcile-metrics.ts';
import { type PurchaseStepName, SAGA_ERRORS, SAGA_FAILURES } from '../src/purchases/saga.ts';
import { LOGICAL_IDS } from './logical-ids.ts';

const functionsDir = join(import.meta.dirname, '..', 'src', 'purchases', 'functions');

/**
 * How each step retries what it did not finish: any error but the business ones (which the
 * first retrier of a step lists), with exponential backoff.
 *
 * - `forward` (Debit, Grant): 3 retries, 1 s, 2 s, 4 s, then the saga compensates. Short on
 *   purpose: a player is watching, and giving up costs nothing but a refund. AWS advises 6
 *   retries from 2 s for the Lambda service's own errors (throttling, 5xx: "Handle transient
 *   Lambda service exceptions"); with 3, such a blip ends a purchase refunded, never charged.
 * - `untilDone` (CancelGrant, Refund, Complete): the steps that must finish, as no state can undo
 *   them or what came before: 20 retries from 5 s, doubling up to 5 minutes between them, each
 *   wait a random part of that (full jitter, so purchases failed by one outage do not all retry
 *   at once): 5 + 10 + … + 160 s, then 300 s fourteen times, 4,515 s (75 minutes) of waiting at
 *   most, about half that on average, besides the attempts themselves; so a forum or database
 *   outage of minutes (a task replaced, a deployment) never strands credits. If one still fails,
 *   the execution fails at that step, and a `RedriveExecution` within 14 days resumes it there.
 */
export const STEP_RETRY = {
  forward: { interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3 },
  untilDone: {
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxDelay: Duration.minutes(5),
    jitterStrategy: sfn.JitterType.FULL,
    maxAttempts: 20,
  },
} as const;

/** Where each step's outcome lands in the execution's state (`$.debit.outcome`, …). */
export const STEP_RESULT_PATHS: Record<PurchaseStepName | 'complete', string> = {
  debit: '$.debit',
  grant: '$.grant',
  cancelGrant: '$.cancelGrant',
  refund: '$.refund',
  complete: '$.complete',
};

/** How often the reconciler looks for purchases left `running`. */
export const RECONCILE_EVERY = Duration.minutes(5);

/**
 * The saga's log group, named under `/aws/vendedlogs/`: the exception to "no physical names".
 * CloudWatch Logs lets a service deliver logs to a group by a resource policy of the account, at
 * most 5,120 characters, to which each such group would add itself; a group under this prefix
 * needs no entry (Step Functions, "Avoiding CloudWatch Logs resource policy size restrictions").
 * The stack's name keeps two stacks of the stage in one account apart.
 */
export function sagaLogGroupName(stackName: string): string {
  return `/aws/vendedlogs/states/${stackName}-PurchaseSaga`;
}

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
 * state machine: Debit (slots) → Grant (forum) → Complete (slots), and when the grant fails for
 * good, CancelGrant then Refund. Each step is a slots function (`addSlotsFunction`: in the
 * isolated subnets, logged in to the slots database) invoked with only `{purchaseId}`;
 * src/purchases/saga.ts is the contract between the definition and the steps. Beside it, the
 * reconciler: a scheduled function that closes the purchases no step ended, and the alarms on
 * what it reports.
 *
 * Defaults: a Standard workflow (see below), no execution timeout (every step's retries are
 * bounded, and a timed-out execution would stop mid-saga, with no compensation), its log group
 * at level ERROR without execution data, kept a week, no X-Ray tracing. The state machine's role
 * may only invoke the five step functions (and deliver its logs). Only the grant and cancel steps
 * reach the forum (a security group of their own).
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
  readonly complete: NodejsFunction;
  /** The steps that append events to the outbox and relay them (debit, refund). */
  readonly publishers: readonly NodejsFunction[];
  /** Closes purchases left `running`, every RECONCILE_EVERY (DescribeExecution only). */
  readonly reconciler: NodejsFunction;
  /** `arn:…:execution:<state machine name>:*`: every execution of the saga, and nothing else. */
  readonly executionsArn: string;
  /** Credits held by a purchase no saga will finish; purchases stuck `running`. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: PurchaseSagaProps) {
    super(scope, id);
    const { topology } = props;

    // The steps. Debit and refund move credits, so they write CreditsSpent / CreditsRefunded to
    // the outbox and relay them like the write function; grant and cancel call the forum's
    // internal path over Cloud Map's private DNS (forum.course.internal); complete writes the
    // record only.
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
        entry: join(functionsDir, file),
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
    this.complete = step(
      'PurchaseComplete',
      'complete.ts',
      'marks the purchase completed',
      {},
      LOGICAL_IDS.completeFunction,
    );
    this.publishers = [this.debit, this.refund];
    admitToForumOnly(this, topology, [this.grant, this.cancelGrant]);

    // Each step: invoked with the purchase id only (the step reads the rest from the record),
    // keeping only its outcome, under its own path, so the state still carries the purchase id.
    const invoke = (stateName: string, fn: NodejsFunction, name: keyof typeof STEP_RESULT_PATHS) =>
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
      cause:
        'Not enough credits, the purchase had already ended, or the debit failed for good: ' +
        'nothing was debited.',
    });
    const refunded = new sfn.Fail(this, SAGA_FAILURES.refunded, {
      error: SAGA_FAILURES.refunded,
      cause: 'The title was not granted, and whatever was debited has been refunded.',
    });
    const completed = new sfn.Succeed(this, 'Completed', {
      comment: 'Debited, granted, and the purchase marked completed by the Complete step.',
    });

    // The compensations and Complete have no Catch: nothing can undo them, so they retry for
    // long (STEP_RETRY.untilDone), and if they still fail, the execution fails at that very step,
    // the one `RedriveExecution` resumes (a caught error would fail it at a Fail state instead,
    // which a redrive would only enter again). The reconciler closes such a record `failed`.
    // A refund answers whether anything had been debited: a debit that failed for good ends
    // here too, and it ends as not debited.
    const refund = invoke('Refund', this.refund, 'refund')
      .addRetry(transient(STEP_RETRY.untilDone))
      .next(
        new sfn.Choice(this, 'Refunded?')
          .when(
            sfn.Condition.stringEquals(`${STEP_RESULT_PATHS.refund}.outcome`, 'refunded'),
            refunded,
          )
          .otherwise(notDebited),
      );
    // Revoke (or forbid) the grant before refunding: a grant that took effect but whose answer
    // was lost must not leave the player with the title and the credits.
    const cancelGrant = invoke('CancelGrant', this.cancelGrant, 'cancelGrant')
      .addRetry(transient(STEP_RETRY.untilDone))
      .next(refund);
    // Complete writes `completed` after the grant, where no compensation can follow it.
    const complete = invoke('Complete', this.complete, 'complete')
      .addRetry(transient(STEP_RETRY.untilDone))
      .next(completed);
    const grant = invoke('Grant', this.grant, 'grant')
      // A refusal is for good (owned already, or cancelled): no retry, compensate at once.
      .addRetry({ errors: [SAGA_ERRORS.titleRefused], maxAttempts: 0 })
      .addRetry(transient(STEP_RETRY.forward))
      .addCatch(cancelGrant, caught)
      .next(complete);
    // A debit that failed for good may still have taken effect (its answer lost): compensate,
    // through CancelGrant like every path to the refund — a replay of a purchase whose title was
    // granted must not get its credits back and keep the title. The refund returns the credits
    // only if they were debited; the cancellation of a title never granted leaves a tombstone.
    const debit = invoke('Debit', this.debit, 'debit')
      .addRetry(transient(STEP_RETRY.forward))
      .addCatch(cancelGrant, caught)
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
      // A physical name, by exception: see sagaLogGroupName.
      logGroupName: sagaLogGroupName(Stack.of(this).stackName),
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
    // As `grantExecution` writes it: the state machine's name is the last part of its ARN.
    this.executionsArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${Arn.split(this.stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    // The reconciler: every RECONCILE_EVERY, the purchases `running` for too long, closed by
    // what DescribeExecution says of their execution (src/purchases/reconcile.ts).
    this.reconciler = topology.addSlotsFunction('PurchaseReconciler', {
      entry: join(functionsDir, 'reconcile.ts'),
      description: 'Purchase saga: closes the purchases left running, by their executions',
      timeout: Duration.seconds(30),
      environment: { PURCHASE_SAGA_ARN: this.stateMachine.stateMachineArn },
    });
    pinLogicalId(this.reconciler, LOGICAL_IDS.reconcilerFunction);
    this.stateMachine.grantExecution(this.reconciler, 'states:DescribeExecution');
    new events.Rule(this, 'ReconcileSchedule', {
      description: `Runs the purchase reconciler every ${RECONCILE_EVERY.toMinutes()} minutes`,
      schedule: events.Schedule.rate(RECONCILE_EVERY),
      // As the outbox sweeper's: the next run is the retry, over the same records.
      targets: [new targets.LambdaFunction(this.reconciler, { retryAttempts: 0 })],
    });
    this.reconciler.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: RECONCILE_EVERY });
    this.alarms = reconcilerAlarms(this, this.reconciler);

    NagSuppressions.addResourceSuppressions(
      this.reconciler,
      [
        {
          id: 'AwsSolutions-IAM5',
          appliesTo: [
            { regex: '/^Resource::arn:(aws|<AWS::Partition>):states:.*:execution:.*:\\*$/g' },
          ],
          reason:
            'DescribeExecution on the executions of this state machine only: each is named by ' +
            'its purchase id, unknown in advance.',
        },
      ],
      true,
    );
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
            'lambda:InvokeFunction on the five step functions and their versions and aliases, ' +
            'as `LambdaInvoke` writes it, and no other function; and the log delivery actions on ' +
            '`*`, as CDK writes them for a state machine with logging: the *LogDelivery actions ' +
            'take no resource, and CloudWatch Logs asks for PutResourcePolicy, ' +
            'DescribeResourcePolicies and DescribeLogGroups on every log group ' +
            '(`log-group:*`), not one ("Logs sent to CloudWatch Logs").',
        },
      ],
      true,
    );
  }
}

/**
 * Gives `callers` a security group of their own (beside the slots functions' group, which
 * reaches the database), and admits only that group to the forum's port: the forum's internal
 * title routes have no authentication, so no other function can reach them to grant a title.
 * CDK renders a function's security groups once, from its props, so the added group is written
 * into its VPC configuration as well as its connections.
 */
function admitToForumOnly(
  scope: Construct,
  topology: ServerlessTopology,
  callers: NodejsFunction[],
): void {
  const group = new ec2.SecurityGroup(scope, 'ForumCallersSecurityGroup', {
    vpc: topology.vpc,
    description: 'Purchase grant and cancel steps: HTTP to the forum port; nothing in',
    allowAllOutbound: false,
  });
  topology.forum.admit(group, 'purchase grant and cancel steps -> forum: title grants');
  for (const fn of callers) {
    fn.connections.addSecurityGroup(group);
    (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride(
      'VpcConfig.SecurityGroupIds',
      fn.connections.securityGroups.map((g) => g.securityGroupId),
    );
  }
}

/**
 * The reconciler's alarms, on the metrics it logs on every run (src/purchases/reconcile-metrics.ts):
 * any purchase holding credits with no saga left to return them (for an operator: the record
 * says which step failed), and purchases still `running` past its threshold three runs in a row
 * (a saga stuck retrying, or the reconciler not running: no data counts as breaching, as the
 * reconciler reports on every run).
 */
function reconcilerAlarms(scope: Construct, reconciler: lambda.IFunction): cloudwatch.Alarm[] {
  const metric = (metricName: string) =>
    new cloudwatch.Metric({
      namespace: PURCHASE_METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { FunctionName: reconciler.functionName },
      period: RECONCILE_EVERY,
      statistic: cloudwatch.Stats.MAXIMUM,
    });
  const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
  return [
    metric(PURCHASE_METRICS.purchasesHoldingCredits).createAlarm(
      scope,
      'PurchasesHoldingCreditsAlarm',
      {
        alarmDescription:
          'Purchases: a failed purchase holds credits it never refunded (the record says why; ' +
          'redrive its execution within 14 days, or refund by hand)',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: atLeast,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    ),
    metric(PURCHASE_METRICS.stuckPurchases).createAlarm(scope, 'StuckPurchasesAlarm', {
      alarmDescription:
        'Purchases: some stay running past the reconciler threshold for three runs (a saga ' +
        'retrying, or the reconciler not reporting)',
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: atLeast,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
  ];
}

function stepLogicalIds(): string[] {
  return [
    LOGICAL_IDS.debitFunction,
    LOGICAL_IDS.grantFunction,
    LOGICAL_IDS.cancelGrantFunction,
    LOGICAL_IDS.refundFunction,
    LOGICAL_IDS.completeFunction,
  ];
}
