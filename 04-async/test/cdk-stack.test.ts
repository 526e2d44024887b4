import { fileURLToPath } from 'node:url';
import {
  nagFindings,
  type PolicyStatement,
  resourceNamedOf,
  resourceOf,
  resourcesOf,
  statementsOfRole,
  synthWithoutDocker,
  type TemplateResource,
} from '@course/constructs/testing';
import { loadContract } from '@course/contract';
import { BIG_WIN_MULTIPLE } from '@course/contract/events';
import {
  LOAD_BALANCER_PATHS,
  SERVICE_DOMAIN,
  SERVICE_PORT,
  SLOTS_API_PATHS,
} from '@course/serverless/cdk/serverless-stack';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_KEY_PREFIX,
  CONSUMER_MAPPING,
  OUTBOX_METRICS,
  PURCHASE_ROUTES,
} from '../cdk/async-stack.ts';
import { MAX_RECEIVE_COUNT } from '../cdk/event-queue.ts';
import { LOGICAL_IDS } from '../cdk/logical-ids.ts';
import {
  CAUGHT_ERROR_PATH,
  RECONCILE_EVERY,
  STEP_RESULT_PATHS,
  STEP_RETRY,
  sagaLogGroupName,
} from '../cdk/purchase-saga.ts';
import { addStage, type StageOptions } from '../cdk/stage-app.ts';
import { PURCHASE_METRICS } from '../src/purchases/reconcile-metrics.ts';
import { FORUM_TITLE_GRANTS_PATH, SAGA_ERRORS, SAGA_FAILURES } from '../src/purchases/saga.ts';

const stageDir = fileURLToPath(new URL('..', import.meta.url));

/** The stage as `cdk/app.ts` builds it. */
function synthStage(options: StageOptions = {}) {
  return synthWithoutDocker(stageDir, (app) => addStage(app, options));
}

type Resource = TemplateResource;
type GetAtt = { 'Fn::GetAtt': [string, string] };
type Statement = PolicyStatement;

let offline: ReturnType<typeof synthStage>;
let deployed: ReturnType<typeof synthStage>;
/** With every option that changes the functions or the alarms: e-mail, reserved concurrency. */
let alerting: ReturnType<typeof synthStage>;
let template: Template;

// Synthesizing bundles eight functions and stages the image contexts and the web build.
const SYNTH_TIMEOUT = 240_000;

beforeAll(() => {
  offline = synthStage();
  template = Template.fromStack(offline.stack);
  deployed = synthStage({
    env: { account: '111122223333', region: 'eu-west-1' },
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  });
  alerting = synthStage({ alarmEmail: 'ops@example.com', reservedConcurrency: 5 });
}, SYNTH_TIMEOUT * 1.5);

function resources(type: string): Array<[string, Resource]> {
  return resourcesOf(template, type);
}

function resource(logicalId: string): Resource {
  return resourceOf(template, logicalId);
}

function resourceNamed(type: string, prefix: string): [string, Resource] {
  return resourceNamedOf(template, type, prefix);
}

function roleOf(functionLogicalId: string): string {
  return (resource(functionLogicalId).Properties.Role as GetAtt)['Fn::GetAtt'][0];
}

function statementsOf(roleLogicalId: string): Statement[] {
  return statementsOfRole(template, roleLogicalId);
}

/** Every action a role is allowed, flattened. */
function actionsOf(roleLogicalId: string): string[] {
  return statementsOf(roleLogicalId)
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[]);
}

/** The roles allowed `action` on a resource whose reference mentions `logicalId`. */
function rolesAllowed(action: string, logicalId: string): string[] {
  return resources('AWS::IAM::Policy')
    .filter(([, policy]) =>
      (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.some(
        (s) =>
          s.Effect === 'Allow' &&
          ([] as unknown[]).concat(s.Action).includes(action) &&
          JSON.stringify(s.Resource).includes(logicalId),
      ),
    )
    .flatMap(([, policy]) => (policy.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref))
    .sort();
}

function variablesOf(functionLogicalId: string): Record<string, unknown> {
  return (
    resource(functionLogicalId).Properties.Environment as { Variables: Record<string, unknown> }
  ).Variables;
}

function securityGroupOf(prefix: string): string {
  return resourceNamed('AWS::EC2::SecurityGroup', prefix)[0];
}

function subscriptionTo(queueLogicalId: string): Record<string, unknown> {
  const found = resources('AWS::SNS::Subscription').filter(
    ([, s]) => (s.Properties.Endpoint as GetAtt)['Fn::GetAtt'][0] === queueLogicalId,
  );
  expect(found).toHaveLength(1);
  return (found[0] as [string, Resource])[1].Properties;
}

function mappingOf(functionLogicalId: string): Record<string, unknown> {
  const found = resources('AWS::Lambda::EventSourceMapping').filter(
    ([, m]) => (m.Properties.FunctionName as { Ref: string }).Ref === functionLogicalId,
  );
  expect(found).toHaveLength(1);
  return (found[0] as [string, Resource])[1].Properties;
}

const QUEUES = [
  [LOGICAL_IDS.leaderboardQueue, LOGICAL_IDS.leaderboardDeadLetterQueue],
  [LOGICAL_IDS.jackpotQueue, LOGICAL_IDS.jackpotDeadLetterQueue],
  [LOGICAL_IDS.auditQueue, LOGICAL_IDS.auditDeadLetterQueue],
] as const;
const PUBLISHERS = [
  LOGICAL_IDS.writeFunction,
  LOGICAL_IDS.readFunction,
  LOGICAL_IDS.sweeperFunction,
  // A player's first purchase may open their wallet, as a first read does.
  LOGICAL_IDS.purchasesFunction,
  LOGICAL_IDS.debitFunction,
  LOGICAL_IDS.refundFunction,
] as const;
/** The saga's steps, in the order of src/purchases/saga.ts's PURCHASE_STEPS, then Complete. */
const SAGA_STEPS = [
  LOGICAL_IDS.debitFunction,
  LOGICAL_IDS.grantFunction,
  LOGICAL_IDS.cancelGrantFunction,
  LOGICAL_IDS.refundFunction,
  LOGICAL_IDS.completeFunction,
] as const;
/** The functions that call the forum's internal title routes. */
const FORUM_CALLERS = [LOGICAL_IDS.grantFunction, LOGICAL_IDS.cancelGrantFunction] as const;
const IN_VPC = [
  ...PUBLISHERS,
  LOGICAL_IDS.ranksFunction,
  LOGICAL_IDS.projectorFunction,
  ...SAGA_STEPS,
  LOGICAL_IDS.reconcilerFunction,
] as const;
/** The functions EventBridge runs on a schedule. */
const SCHEDULED = [
  {
    name: 'the outbox sweeper',
    functionId: LOGICAL_IDS.sweeperFunction,
    rule: 'OutboxSweepSchedule',
    rate: '1 minute',
    periodSeconds: 60,
  },
  {
    name: 'the purchase reconciler',
    functionId: LOGICAL_IDS.reconcilerFunction,
    rule: 'PurchaseSagaReconcileSchedule',
    rate: '5 minutes',
    periodSeconds: RECONCILE_EVERY.toSeconds(),
  },
] as const;

describe('the template', () => {
  it('has every logical id of logical-ids.ts, each with its type', () => {
    const types: Record<string, string> = {
      [LOGICAL_IDS.slotsApi]: 'AWS::ApiGatewayV2::Api',
      [LOGICAL_IDS.database]: 'AWS::RDS::DBInstance',
      [LOGICAL_IDS.ranksFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.writeFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.readFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.eventsTopic]: 'AWS::SNS::Topic',
      [LOGICAL_IDS.sweeperFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.leaderboardQueue]: 'AWS::SQS::Queue',
      [LOGICAL_IDS.leaderboardDeadLetterQueue]: 'AWS::SQS::Queue',
      [LOGICAL_IDS.projectorFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.jackpotQueue]: 'AWS::SQS::Queue',
      [LOGICAL_IDS.jackpotDeadLetterQueue]: 'AWS::SQS::Queue',
      [LOGICAL_IDS.auditQueue]: 'AWS::SQS::Queue',
      [LOGICAL_IDS.auditDeadLetterQueue]: 'AWS::SQS::Queue',
      [LOGICAL_IDS.auditFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.auditBucket]: 'AWS::S3::Bucket',
      [LOGICAL_IDS.purchaseSaga]: 'AWS::StepFunctions::StateMachine',
      [LOGICAL_IDS.purchasesFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.debitFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.grantFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.cancelGrantFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.refundFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.completeFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.reconcilerFunction]: 'AWS::Lambda::Function',
    };

    expect(Object.keys(types).sort()).toEqual(Object.values(LOGICAL_IDS).sort());
    for (const [id, type] of Object.entries(types)) expect(resource(id).Type).toBe(type);
  });

  it('has no unsuppressed cdk-nag AwsSolutions finding, offline, deploying or e-mailing alarms', () => {
    expect(nagFindings(offline.stack)).toEqual([]);
    expect(nagFindings(deployed.stack)).toEqual([]);
    expect(nagFindings(alerting.stack)).toEqual([]);
  });

  it('has no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });
});

describe('the functions', () => {
  it('marks every function of the stage as the application’s, Node.js 24 on ARM64', () => {
    for (const id of [...IN_VPC, LOGICAL_IDS.auditFunction]) {
      const fn = resource(id) as Resource & { Metadata?: Record<string, unknown> };
      expect(fn.Metadata?.['course:application-function']).toBe(true);
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
  });

  it('gives each its timeout: the consumers and the saga’s steps 10 s, the sweeper and the reconciler 30 s, the API functions stage 03’s', () => {
    for (const id of [...SAGA_STEPS, LOGICAL_IDS.purchasesFunction]) {
      expect(resource(id).Properties.Timeout).toBe(10);
    }
    expect(resource(LOGICAL_IDS.projectorFunction).Properties.Timeout).toBe(10);
    expect(resource(LOGICAL_IDS.auditFunction).Properties.Timeout).toBe(10);
    expect(resource(LOGICAL_IDS.sweeperFunction).Properties.Timeout).toBe(30);
    expect(resource(LOGICAL_IDS.reconcilerFunction).Properties.Timeout).toBe(30);
    expect(resource(LOGICAL_IDS.writeFunction).Properties.Timeout).toBe(10);
    expect(resource(LOGICAL_IDS.readFunction).Properties.Timeout).toBe(10);
    expect(resource(LOGICAL_IDS.ranksFunction).Properties.Timeout).toBe(5);
  });

  it('gives the publishers the topic’s ARN, and no one else', () => {
    const withTopic = resources('AWS::Lambda::Function')
      .filter(([, fn]) => {
        const variables = (fn.Properties.Environment as { Variables?: Record<string, unknown> })
          ?.Variables;
        return variables?.EVENTS_TOPIC_ARN !== undefined;
      })
      .map(([id]) => id)
      .sort();

    expect(withTopic).toEqual([...PUBLISHERS].sort());
    for (const id of PUBLISHERS) {
      expect(variablesOf(id).EVENTS_TOPIC_ARN).toEqual({ Ref: LOGICAL_IDS.eventsTopic });
    }
  });

  it('connects the sweeper, the projector, the saga’s steps, the reconciler and the purchases function to the database exactly as the API functions: same settings, IAM role slots_lambda', () => {
    const databaseSettings = (id: string) => {
      const { DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_USER, NODE_EXTRA_CA_CERTS } =
        variablesOf(id);
      return { DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_USER, NODE_EXTRA_CA_CERTS };
    };
    const reference = databaseSettings(LOGICAL_IDS.writeFunction);

    expect(reference).toMatchObject({ DATABASE_NAME: 'slots', DATABASE_USER: 'slots_lambda' });
    for (const id of [
      LOGICAL_IDS.sweeperFunction,
      LOGICAL_IDS.projectorFunction,
      ...SAGA_STEPS,
      LOGICAL_IDS.reconcilerFunction,
      LOGICAL_IDS.purchasesFunction,
    ]) {
      expect(databaseSettings(id)).toEqual(reference);
      expect(variablesOf(id).STAGE).toBe('04');
      expect(actionsOf(roleOf(id))).toContain('rds-db:connect');
      expect(resource(id).DependsOn?.some((d) => d.startsWith('SlotsIamAccessRun'))).toBe(true);
    }
  });

  it('runs the audit recorder outside the VPC, with the bucket’s name, and everything else in the isolated subnets', () => {
    const isolated = resources('AWS::EC2::Subnet')
      .filter(([, subnet]) => subnet.Properties.MapPublicIpOnLaunch === false)
      .map(([id]) => id)
      .sort();

    expect(resource(LOGICAL_IDS.auditFunction).Properties.VpcConfig).toBeUndefined();
    expect(variablesOf(LOGICAL_IDS.auditFunction).AUDIT_BUCKET_NAME).toEqual({
      Ref: LOGICAL_IDS.auditBucket,
    });
    for (const id of IN_VPC) {
      const vpcConfig = resource(id).Properties.VpcConfig as { SubnetIds: Array<{ Ref: string }> };
      expect(vpcConfig.SubnetIds.map((s) => s.Ref).sort()).toEqual(isolated);
    }
  });

  it.each(SCHEDULED)(
    'runs $name every $rate, with no retries of a missed run',
    ({ functionId, rule: ruleName, rate }) => {
      const [, rule] = resourceNamed('AWS::Events::Rule', ruleName);
      const [target] = rule.Properties.Targets as Array<Record<string, unknown>>;

      expect(rule.Properties.ScheduleExpression).toBe(`rate(${rate})`);
      expect(target?.Arn).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
      expect(target?.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
    },
  );

  it('lets Lambda neither retry a failed scheduled run nor keep one it could not run beyond its period', () => {
    const configs = resources('AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties);

    expect(configs).toEqual(
      SCHEDULED.map(({ functionId, periodSeconds }) => ({
        FunctionName: { Ref: functionId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: periodSeconds,
      })),
    );
  });

  it.each(SCHEDULED)(
    'lets EventBridge invoke $name from its schedule rule only',
    ({ functionId, rule }) => {
      const [ruleId] = resourceNamed('AWS::Events::Rule', rule);
      const permissions = resources('AWS::Lambda::Permission')
        .map(([, p]) => p.Properties)
        .filter((p) => JSON.stringify(p.FunctionName).includes(functionId));

      expect(permissions).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
        },
      ]);
    },
  );

  it('keeps the logs of the sweeper, the projector, the recorder and the purchase functions a week, deleted with the stack', () => {
    for (const id of [
      LOGICAL_IDS.sweeperFunction,
      LOGICAL_IDS.projectorFunction,
      LOGICAL_IDS.auditFunction,
      ...SAGA_STEPS,
      LOGICAL_IDS.reconcilerFunction,
      LOGICAL_IDS.purchasesFunction,
    ]) {
      const logGroup = (resource(id).Properties.LoggingConfig as { LogGroup: { Ref: string } })
        .LogGroup.Ref;
      const group = template.toJSON().Resources[logGroup] as Resource & { DeletionPolicy?: string };

      expect(group.Properties.RetentionInDays).toBe(7);
      expect(group.DeletionPolicy).toBe('Delete');
    }
  });

  it('gives the audit recorder the stage’s STAGE and LOG_LEVEL, as every other function', () => {
    const { STAGE, LOG_LEVEL } = variablesOf(LOGICAL_IDS.writeFunction);

    expect(STAGE).toBe('04');
    expect(variablesOf(LOGICAL_IDS.auditFunction)).toMatchObject({ STAGE, LOG_LEVEL });
  });
});

describe('the topic and the queues', () => {
  it('encrypts the topic with SNS’s AWS managed key and refuses plain HTTP', () => {
    const [, policy] = resourceNamed('AWS::SNS::TopicPolicy', 'EventsTopicPolicy');

    expect(JSON.stringify(resource(LOGICAL_IDS.eventsTopic).Properties.KmsMasterKeyId)).toMatch(
      /:alias\/aws\/sns"\]\]\}$/,
    );
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain(
      '"aws:SecureTransport":"false"',
    );
  });

  it.each(QUEUES)(
    'encrypts %s and its dead-letter queue with SSE-SQS (no KMS key SNS would need a grant on), HTTPS only',
    (queue, deadLetter) => {
      for (const id of [queue, deadLetter]) {
        expect(resource(id).Properties.SqsManagedSseEnabled).toBe(true);
        expect(resource(id).Properties).not.toHaveProperty('KmsMasterKeyId');
        const policies = resources('AWS::SQS::QueuePolicy').filter(([, p]) =>
          (p.Properties.Queues as Array<{ Ref: string }>).some((q) => q.Ref === id),
        );
        expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
      }
    },
  );

  it.each(QUEUES)(
    'gives %s its dead-letter queue after 5 receives (Lambda’s advice for a function’s queue), kept 14 days',
    (queue, deadLetter) => {
      expect(MAX_RECEIVE_COUNT).toBeGreaterThanOrEqual(5);
      expect(resource(queue).Properties).toMatchObject({
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [deadLetter, 'Arn'] },
          maxReceiveCount: MAX_RECEIVE_COUNT,
        },
      });
      expect(resource(deadLetter).Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    },
  );

  it('hides a received message at least six times as long as the mapped function may run', () => {
    const mappings = resources('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);

    expect(mappings).toHaveLength(2);
    for (const mapping of mappings) {
      const queue = (mapping.EventSourceArn as GetAtt)['Fn::GetAtt'][0];
      const fn = (mapping.FunctionName as { Ref: string }).Ref;
      const timeout = resource(fn).Properties.Timeout as number;

      expect(timeout).toBeGreaterThan(0);
      expect(resource(queue).Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    }
  });

  it('subscribes each queue with raw delivery: the leaderboard to every event that changes a balance, the jackpot to big wins, the audit log to all', () => {
    const leaderboard = subscriptionTo(LOGICAL_IDS.leaderboardQueue);
    const jackpot = subscriptionTo(LOGICAL_IDS.jackpotQueue);
    const audit = subscriptionTo(LOGICAL_IDS.auditQueue);

    for (const subscription of [leaderboard, jackpot, audit]) {
      expect(subscription).toMatchObject({
        Protocol: 'sqs',
        RawMessageDelivery: true,
        TopicArn: { Ref: LOGICAL_IDS.eventsTopic },
      });
    }
    expect(leaderboard.FilterPolicy).toEqual({
      type: ['WalletOpened', 'SpinSettled', 'CreditsSpent', 'CreditsRefunded'],
    });
    expect(jackpot.FilterPolicy).toEqual({
      type: ['SpinSettled'],
      payoutMultiple: [{ numeric: ['>=', BIG_WIN_MULTIPLE] }],
    });
    expect(audit).not.toHaveProperty('FilterPolicy');
  });

  it('lets only the topic send to each queue', () => {
    for (const [queue] of QUEUES) {
      const [[, policy]] = resources('AWS::SQS::QueuePolicy').filter(([, p]) =>
        (p.Properties.Queues as Array<{ Ref: string }>).some((q) => q.Ref === queue),
      ) as [[string, Resource]];
      const sends = (
        policy.Properties.PolicyDocument as { Statement: Statement[] }
      ).Statement.filter((s) => s.Effect === 'Allow');

      expect(sends).toEqual([
        expect.objectContaining({
          Action: 'sqs:SendMessage',
          Principal: { Service: 'sns.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': { Ref: LOGICAL_IDS.eventsTopic } } },
        }),
      ]);
    }
  });

  it.each(QUEUES)(
    'alarms as soon as %s’s dead-letter queue holds one message',
    (_queue, deadLetter) => {
      expect(alarmsOn(deadLetter)).toEqual([
        expect.objectContaining({
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Namespace: 'AWS/SQS',
          Statistic: 'Maximum',
          Period: 60,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        }),
      ]);
    },
  );

  it.each(QUEUES)(
    'alarms when %s’s oldest message has waited 5 minutes: a consumer stopped, before SQS expires it',
    (queue) => {
      expect(alarmsOn(queue)).toEqual([
        expect.objectContaining({
          MetricName: 'ApproximateAgeOfOldestMessage',
          Namespace: 'AWS/SQS',
          Statistic: 'Maximum',
          Period: 60,
          Threshold: 300,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        }),
      ]);
    },
  );
});

describe('the outbox’s alarms', () => {
  it('alarms on any failed sweep in 5 minutes', () => {
    const lambdaAlarms = alarmsOn(LOGICAL_IDS.sweeperFunction).filter(
      (alarm) => alarm.Namespace === 'AWS/Lambda',
    );
    expect(lambdaAlarms).toEqual([
      expect.objectContaining({
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]);
  });

  it('alarms on an event unpublished for 5 minutes (or no report from the sweeper), and on any parked event', () => {
    const outbox = resources('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter((a) => a.Namespace === 'Course/Outbox');
    // By the sweeper's name, the dimension src/events/outbox-metrics.ts writes.
    const dimensions = [{ Name: 'FunctionName', Value: { Ref: LOGICAL_IDS.sweeperFunction } }];

    expect(OUTBOX_METRICS.namespace).toBe('Course/Outbox');
    expect(outbox).toHaveLength(2);
    expect(outbox).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          MetricName: 'OldestUnpublishedAgeSeconds',
          Dimensions: dimensions,
          Statistic: 'Maximum',
          Period: 300,
          Threshold: 300,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'breaching',
        }),
        expect.objectContaining({
          MetricName: 'ParkedEvents',
          Dimensions: dimensions,
          Statistic: 'Maximum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      ]),
    );
  });

  it('notifies no one by default', () => {
    template.resourceCountIs('AWS::SNS::Subscription', QUEUES.length);
    for (const [, alarm] of resources('AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties).not.toHaveProperty('AlarmActions');
    }
  });

  it('with -c alarmEmail, e-mails every alarm through a topic of its own', () => {
    const withEmail = Template.fromStack(alerting.stack);
    const subscriptions = Object.values(
      withEmail.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } }),
    ) as Resource[];
    const alarms = Object.values(withEmail.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    const [topicId] = Object.keys(withEmail.findResources('AWS::SNS::Topic')).filter(
      (id) => id !== LOGICAL_IDS.eventsTopic,
    );

    expect(subscriptions.map((s) => s.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } },
    ]);
    expect(alarms).toHaveLength(resources('AWS::CloudWatch::Alarm').length);
    // Per queue 2, the outbox 3, the purchases 2.
    expect(alarms.length).toBeGreaterThanOrEqual(QUEUES.length * 2 + 3 + 2);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });
});

describe('the purchases’ alarms', () => {
  it('alarms on any purchase holding credits it never refunded, and on purchases stuck running (or no report) for three runs, by the reconciler’s name', () => {
    const purchases = resources('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter((a) => a.Namespace === 'Course/Purchases');
    // The dimension src/purchases/reconcile-metrics.ts writes: the reconciler's FunctionName.
    const dimensions = [{ Name: 'FunctionName', Value: { Ref: LOGICAL_IDS.reconcilerFunction } }];
    const common = {
      Dimensions: dimensions,
      Statistic: 'Maximum',
      Period: RECONCILE_EVERY.toSeconds(),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    };

    expect(RECONCILE_EVERY.toSeconds()).toBe(300);
    expect(purchases).toHaveLength(2);
    expect(purchases).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ...common,
          MetricName: PURCHASE_METRICS.purchasesHoldingCredits,
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        }),
        expect.objectContaining({
          ...common,
          MetricName: PURCHASE_METRICS.stuckPurchases,
          EvaluationPeriods: 3,
          TreatMissingData: 'breaching',
        }),
      ]),
    );
  });
});

describe('the consumers', () => {
  it.each([
    [LOGICAL_IDS.projectorFunction, LOGICAL_IDS.leaderboardQueue],
    [LOGICAL_IDS.auditFunction, LOGICAL_IDS.auditQueue],
  ])(
    '%s reads its queue in batches of 10, partial failures, at most 2 at a time, and reserves no concurrency',
    (fn, queue) => {
      const mapping = mappingOf(fn);

      expect(mapping).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
        BatchSize: CONSUMER_MAPPING.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: CONSUMER_MAPPING.maxConcurrency },
      });
      expect(mapping).not.toHaveProperty('MaximumBatchingWindowInSeconds');
      expect(resource(fn).Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    },
  );

  it('gives the forum the jackpot queue’s URL and the right to consume it, and no other queue', () => {
    const [, forumTask] = resourceNamed('AWS::ECS::TaskDefinition', 'ForumTask');
    const forum = (
      forumTask.Properties.ContainerDefinitions as Array<{
        Name: string;
        Environment: Array<{ Name: string; Value: unknown }>;
      }>
    ).find((c) => c.Name === 'forum');
    const taskRole = (forumTask.Properties.TaskRoleArn as GetAtt)['Fn::GetAtt'][0];

    expect(forum?.Environment).toEqual(
      expect.arrayContaining([
        { Name: 'JACKPOT_QUEUE_URL', Value: { Ref: LOGICAL_IDS.jackpotQueue } },
        { Name: 'STAGE', Value: '04' },
      ]),
    );
    expect(rolesAllowed('sqs:DeleteMessage', LOGICAL_IDS.jackpotQueue)).toEqual([taskRole]);
    for (const [queue] of QUEUES.filter(([q]) => q !== LOGICAL_IDS.jackpotQueue)) {
      expect(rolesAllowed('sqs:ReceiveMessage', queue)).not.toContain(taskRole);
    }
  });

  it('lets exactly the write, read, sweeper, debit and refund functions publish', () => {
    expect(rolesAllowed('sns:Publish', LOGICAL_IDS.eventsTopic)).toEqual(
      PUBLISHERS.map(roleOf).sort(),
    );
  });

  it('lets each consumer function receive from its own queue only', () => {
    expect(rolesAllowed('sqs:ReceiveMessage', LOGICAL_IDS.leaderboardQueue)).toEqual([
      roleOf(LOGICAL_IDS.projectorFunction),
    ]);
    expect(rolesAllowed('sqs:ReceiveMessage', LOGICAL_IDS.auditQueue)).toEqual([
      roleOf(LOGICAL_IDS.auditFunction),
    ]);
  });
});

describe('the audit log', () => {
  it('blocks public access, encrypts with SSE-S3, and is emptied and deleted with the stack', () => {
    const bucket = template.toJSON().Resources[LOGICAL_IDS.auditBucket] as Resource & {
      DeletionPolicy?: string;
    };

    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
    });
    expect(bucket.Properties).not.toHaveProperty('ObjectLockEnabled');
    expect(bucket.DeletionPolicy).toBe('Delete');
    resourceNamed('Custom::S3AutoDeleteObjects', 'AuditLogAutoDeleteObjects');
  });

  it('refuses any PutObject without If-None-Match, and any request over plain HTTP', () => {
    const [, policy] = resourceNamed('AWS::S3::BucketPolicy', 'AuditLogPolicy');
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;

    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:PutObject',
          Condition: { Null: { 's3:if-none-match': 'true' } },
          Resource: {
            'Fn::Join': ['', [{ 'Fn::GetAtt': [LOGICAL_IDS.auditBucket, 'Arn'] }, '/*']],
          },
        }),
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]),
    );
  });

  it('lets the recorder put objects under events/ and do nothing else with the bucket', () => {
    const onBucket = statementsOf(roleOf(LOGICAL_IDS.auditFunction)).filter((s) =>
      JSON.stringify(s.Resource).includes(LOGICAL_IDS.auditBucket),
    );

    expect(onBucket).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: {
          'Fn::Join': [
            '',
            [{ 'Fn::GetAtt': [LOGICAL_IDS.auditBucket, 'Arn'] }, `/${AUDIT_KEY_PREFIX}*`],
          ],
        },
      },
    ]);
    expect(rolesAllowed('s3:PutObject', LOGICAL_IDS.auditBucket)).toEqual([
      roleOf(LOGICAL_IDS.auditFunction),
    ]);
  });
});

interface AslState {
  Type: string;
  Next?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultSelector?: Record<string, unknown>;
  ResultPath?: string;
  Retry?: Array<Record<string, unknown> & { ErrorEquals: string[] }>;
  Catch?: Array<{ ErrorEquals: string[]; ResultPath?: string; Next: string }>;
  Choices?: Array<Record<string, unknown>>;
  Default?: string;
  Error?: string;
  Cause?: string;
}
interface AslDefinition {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, AslState>;
}

/**
 * The saga's definition as the template gives it to Step Functions, parsed, with each reference
 * written `<LogicalId.Attribute>` (or `<AWS::Partition>`): what the local runtime runs too.
 */
function sagaDefinition(): AslDefinition {
  const definition = resource(LOGICAL_IDS.purchaseSaga).Properties.DefinitionString as {
    'Fn::Join': [string, unknown[]];
  };
  const text = definition['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const reference = part as Partial<GetAtt> & { Ref?: string };
      return reference.Ref !== undefined
        ? `<${reference.Ref}>`
        : `<${(reference['Fn::GetAtt'] as [string, string]).join('.')}>`;
    })
    .join('');
  return JSON.parse(text) as AslDefinition;
}

function sagaState(name: string): AslState {
  const state = sagaDefinition().States[name];
  if (state === undefined) throw new Error(`the saga has no state ${name}`);
  return state;
}

/** The task states, each with its function and its name in the saga's contract. */
const SAGA_TASKS = [
  ['Debit', LOGICAL_IDS.debitFunction, 'debit'],
  ['Grant', LOGICAL_IDS.grantFunction, 'grant'],
  ['CancelGrant', LOGICAL_IDS.cancelGrantFunction, 'cancelGrant'],
  ['Refund', LOGICAL_IDS.refundFunction, 'refund'],
  ['Complete', LOGICAL_IDS.completeFunction, 'complete'],
] as const;

/** A retrier of transient errors as the definition writes STEP_RETRY's settings. */
function transientRetrier(retry: (typeof STEP_RETRY)[keyof typeof STEP_RETRY]) {
  return {
    ErrorEquals: ['States.ALL'],
    IntervalSeconds: retry.interval.toSeconds(),
    BackoffRate: retry.backoffRate,
    MaxAttempts: retry.maxAttempts,
    ...('maxDelay' in retry
      ? { MaxDelaySeconds: retry.maxDelay.toSeconds(), JitterStrategy: retry.jitterStrategy }
      : {}),
  };
}

/** The longest a retrier waits in all, without jitter (with FULL jitter each wait is 0 to this). */
function longestWaitSeconds(retrier: Record<string, unknown>): number {
  const { IntervalSeconds, BackoffRate, MaxAttempts, MaxDelaySeconds } = retrier as {
    IntervalSeconds: number;
    BackoffRate: number;
    MaxAttempts: number;
    MaxDelaySeconds?: number;
  };
  return Array.from({ length: MaxAttempts }, (_, attempt) =>
    Math.min(IntervalSeconds * BackoffRate ** attempt, MaxDelaySeconds ?? Number.POSITIVE_INFINITY),
  ).reduce((sum, wait) => sum + wait, 0);
}

/**
 * The states an execution enters, walking the definition as Step Functions would: each Task
 * answers the outcome `answers` gives for it, or throws (`throws:<error name>`) on every attempt:
 * the first retrier matching the error spends its retries (each one more transition billed), then
 * the first matching catcher leads on. A Choice follows its StringEquals rules. Returns the states
 * entered and the transitions billed (states entered + retries).
 */
function walkSaga(answers: Record<string, string>): { states: string[]; transitions: number } {
  const definition = sagaDefinition();
  const states: string[] = [];
  let retries = 0;
  let name: string | undefined = definition.StartAt;
  const result: Record<string, { outcome: string }> = {};
  while (name !== undefined) {
    const state = sagaState(name);
    states.push(name);
    if (states.length > 50) throw new Error('the walk loops');
    if (state.Type === 'Task') {
      const answer: string | undefined = answers[name];
      if (answer === undefined) throw new Error(`no answer for ${name}`);
      if (answer.startsWith('throws:')) {
        const error: string = answer.slice('throws:'.length);
        const matches = (errors: string[]): boolean =>
          errors.includes(error) || errors.includes('States.ALL');
        const retrier = (state.Retry ?? []).find((r) => matches(r.ErrorEquals));
        retries += (retrier?.MaxAttempts as number | undefined) ?? 0;
        const caught: { Next: string } | undefined = (state.Catch ?? []).find((c) =>
          matches(c.ErrorEquals),
        );
        if (caught === undefined) throw new Error(`${name} fails the execution`);
        name = caught.Next;
        continue;
      }
      result[(state.ResultPath ?? '').replace('$.', '')] = { outcome: answer };
      name = state.Next;
    } else if (state.Type === 'Choice') {
      const chosen = (state.Choices ?? []).find((choice) => {
        const [step, field] = String(choice.Variable).replace('$.', '').split('.');
        return result[step ?? '']?.[field as 'outcome'] === choice.StringEquals;
      });
      name = (chosen?.Next as string | undefined) ?? state.Default;
    } else {
      name = state.Next;
    }
  }
  return { states, transitions: states.length + retries };
}

const REFUNDED_STATES = [
  'Debit',
  'Debited?',
  'Grant',
  'CancelGrant',
  'Refund',
  'Refunded?',
  SAGA_FAILURES.refunded,
];

/** Each way a purchase ends, the states it passes, and what Step Functions bills it. */
const SAGA_PATHS = [
  {
    end: 'completed',
    answers: { Debit: 'debited', Grant: 'granted', Complete: 'completed' },
    states: ['Debit', 'Debited?', 'Grant', 'Complete', 'Completed'],
    transitions: 5,
  },
  {
    end: 'rejected (not enough credits)',
    answers: { Debit: 'rejected' },
    states: ['Debit', 'Debited?', SAGA_FAILURES.notDebited],
    transitions: 3,
  },
  {
    end: 'refunded (the title refused: never retried)',
    answers: {
      Debit: 'debited',
      Grant: `throws:${SAGA_ERRORS.titleRefused}`,
      CancelGrant: 'cancelled',
      Refund: 'refunded',
    },
    states: REFUNDED_STATES,
    transitions: 7,
  },
  {
    end: 'refunded (the forum unavailable: 3 retries of the grant)',
    answers: {
      Debit: 'debited',
      Grant: `throws:${SAGA_ERRORS.forumUnavailable}`,
      CancelGrant: 'cancelled',
      Refund: 'refunded',
    },
    states: REFUNDED_STATES,
    transitions: 10,
  },
  {
    end: 'not debited (the debit failed for good: 3 retries)',
    answers: {
      Debit: 'throws:Lambda.Unknown',
      CancelGrant: 'cancelled',
      Refund: 'nothing-debited',
    },
    states: ['Debit', 'CancelGrant', 'Refund', 'Refunded?', SAGA_FAILURES.notDebited],
    transitions: 8,
  },
] as const;

describe('the purchase saga’s definition', () => {
  it('debits first and branches on the outcome: debited → Grant → Complete → Completed, anything else → PurchaseNotDebited', () => {
    const definition = sagaDefinition();
    const choice = sagaState(sagaState('Debit').Next ?? '');

    expect(definition.StartAt).toBe('Debit');
    expect(choice).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.debit.outcome', StringEquals: 'debited', Next: 'Grant' }],
      Default: SAGA_FAILURES.notDebited,
    });
    // `completed` is written after the grant, where no compensation can follow it.
    expect(sagaState('Grant').Next).toBe('Complete');
    expect(sagaState('Complete').Next).toBe('Completed');
    expect(sagaState('Completed').Type).toBe('Succeed');
    // No execution timeout: a timed-out execution would stop mid-saga, with no compensation.
    expect(definition).not.toHaveProperty('TimeoutSeconds');
  });

  it.each(SAGA_TASKS)(
    '%s invokes its function with only the purchase id, and keeps only its outcome, under its own path',
    (stateName, functionId, step) => {
      expect(sagaState(stateName)).toMatchObject({
        Type: 'Task',
        Resource: 'arn:<AWS::Partition>:states:::lambda:invoke',
        Parameters: {
          FunctionName: `<${functionId}.Arn>`,
          Payload: { 'purchaseId.$': '$.purchaseId' },
        },
        ResultSelector: { 'outcome.$': '$.Payload.outcome' },
        ResultPath: STEP_RESULT_PATHS[step],
      });
      expect(STEP_RESULT_PATHS[step]).toBe(`$.${step}`);
    },
  );

  it('never retries a refused title, retries the grant’s other errors 3 times from 1 s doubling, then cancels the grant', () => {
    const grant = sagaState('Grant');

    expect(grant.Retry).toEqual([
      { ErrorEquals: [SAGA_ERRORS.titleRefused], MaxAttempts: 0 },
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 },
    ]);
    expect(grant.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: CAUGHT_ERROR_PATH, Next: 'CancelGrant' },
    ]);
  });

  it('retries the debit’s errors like the grant’s, and compensates through CancelGrant when it fails for good', () => {
    const debit = sagaState('Debit');

    expect(debit.Retry).toEqual([transientRetrier(STEP_RETRY.forward)]);
    expect(debit.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: CAUGHT_ERROR_PATH, Next: 'CancelGrant' },
    ]);
  });

  it('reaches Refund only through CancelGrant: no state but CancelGrant goes to Refund, by Next or Catch', () => {
    const definition = sagaDefinition();
    const intoRefund = Object.entries(definition.States)
      .filter(
        ([, state]) =>
          state.Next === 'Refund' || (state.Catch ?? []).some((c) => c.Next === 'Refund'),
      )
      .map(([name]) => name);

    expect(intoRefund).toEqual(['CancelGrant']);
  });

  it('compensates in order, CancelGrant → Refund → Refunded?: PurchaseRefunded when credits came back, PurchaseNotDebited when none had been taken', () => {
    expect(sagaState('CancelGrant').Next).toBe('Refund');
    expect(sagaState('Refund').Next).toBe('Refunded?');
    expect(sagaState('Refunded?')).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.refund.outcome', StringEquals: 'refunded', Next: SAGA_FAILURES.refunded },
      ],
      Default: SAGA_FAILURES.notDebited,
    });
  });

  it('retries CancelGrant, Refund and Complete from 5 s, doubling, up to 5 minutes apart with full jitter, 20 times (over an hour), and catches nothing: a step that still fails fails the execution there, where a redrive resumes', () => {
    const [retrier] = sagaState('Refund').Retry ?? [];

    for (const name of ['CancelGrant', 'Refund', 'Complete']) {
      expect(sagaState(name).Retry).toEqual([
        {
          ErrorEquals: ['States.ALL'],
          IntervalSeconds: 5,
          BackoffRate: 2,
          MaxDelaySeconds: 300,
          JitterStrategy: 'FULL',
          MaxAttempts: 20,
        },
      ]);
      expect(sagaState(name)).not.toHaveProperty('Catch');
    }
    expect(sagaState('Refund').Retry).toEqual([transientRetrier(STEP_RETRY.untilDone)]);
    // 5 + 10 + … + 160, then 300 s fourteen times: 4,515 s of waiting at most.
    expect(longestWaitSeconds(retrier ?? {})).toBe(4515);
    expect(longestWaitSeconds(retrier ?? {})).toBeGreaterThan(
      100 * longestWaitSeconds(sagaState('Grant').Retry?.[1] ?? {}),
    );
  });

  it('keeps the purchase id in the state through every step and every catch', () => {
    const states = Object.values(sagaDefinition().States);
    const paths = [
      ...states.flatMap((state) => (state.ResultPath === undefined ? [] : [state.ResultPath])),
      ...states.flatMap((state) => (state.Catch ?? []).map((c) => c.ResultPath)),
    ];

    // Each task's result, and the catches of the two forward steps (Debit, Grant).
    expect(paths).toHaveLength(SAGA_TASKS.length + 2);
    for (const path of paths) expect(path).toMatch(/^\$\.(?!purchaseId\b)\w+$/);
  });

  it('lists States.ALL only alone, in the last retrier of a state', () => {
    for (const state of Object.values(sagaDefinition().States)) {
      const retriers = state.Retry ?? [];
      retriers.forEach((retrier, index) => {
        if (retrier.ErrorEquals.includes('States.ALL')) {
          expect(retrier.ErrorEquals).toEqual(['States.ALL']);
          expect(index).toBe(retriers.length - 1);
        }
      });
    }
  });

  it('ends a purchase that did not complete in a Fail state named, and erroring, by SAGA_FAILURES, with a cause; a compensation that gives up has none (it fails at its own step)', () => {
    const fails = Object.entries(sagaDefinition().States).filter(
      ([, state]) => state.Type === 'Fail',
    );

    expect(fails.map(([name]) => name).sort()).toEqual(
      [SAGA_FAILURES.notDebited, SAGA_FAILURES.refunded].sort(),
    );
    expect(sagaDefinition().States).not.toHaveProperty(SAGA_FAILURES.compensationFailed);
    for (const [name, state] of fails) {
      expect(state.Error).toBe(name);
      expect(state.Cause?.length).toBeGreaterThan(20);
    }
  });

  it.each(SAGA_PATHS)(
    'ends $end after $transitions state transitions (retries included)',
    ({ answers, states, transitions }) => {
      const walked = walkSaga(answers);

      expect(walked.states).toEqual(states);
      expect(walked.transitions).toBe(transitions);
    },
  );
});

describe('the purchase saga’s resources', () => {
  it('is a Standard workflow of the application, logging errors without execution data to a log group under /aws/vendedlogs/ kept a week, untraced', () => {
    const saga = resource(LOGICAL_IDS.purchaseSaga);
    const logging = saga.Properties.LoggingConfiguration as {
      Level: string;
      IncludeExecutionData: boolean;
      Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: GetAtt } }>;
    };
    const [destination] = logging.Destinations;
    const logGroup = template.toJSON().Resources[
      destination?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] ?? ''
    ] as Resource & { DeletionPolicy?: string };

    expect(saga.Properties.StateMachineType).toBe('STANDARD');
    expect(saga.Metadata?.['course:application-state-machine']).toBe(true);
    expect(logging).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
    expect(logging.Destinations).toHaveLength(1);
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    // Under the prefix that spares CloudWatch Logs' account-wide resource policy, by stack.
    expect(logGroup.Properties.LogGroupName).toBe(sagaLogGroupName(offline.stack.stackName));
    expect(logGroup.Properties.LogGroupName).toBe(
      '/aws/vendedlogs/states/CourseAsync-PurchaseSaga',
    );
    expect(logGroup.Properties.RetentionInDays).toBe(7);
    expect(logGroup.DeletionPolicy).toBe('Delete');
    expect(saga.Properties.TracingConfiguration).toEqual({ Enabled: false });
  });

  it('lets the state machine invoke exactly the five step functions (and their versions), and otherwise only deliver its logs', () => {
    const role = (resource(LOGICAL_IDS.purchaseSaga).Properties.RoleArn as GetAtt)['Fn::GetAtt'][0];
    const statements = statementsOf(role);
    const invoke = statements.filter((s) => s.Action === 'lambda:InvokeFunction');
    const others = statements.filter((s) => s.Action !== 'lambda:InvokeFunction');
    const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

    expect(invoke).toHaveLength(1);
    expect(invoke[0]?.Resource).toEqual(
      expect.arrayContaining(
        SAGA_STEPS.flatMap((id) => [arn(id), { 'Fn::Join': ['', [arn(id), ':*']] }]),
      ),
    );
    expect(invoke[0]?.Resource).toHaveLength(SAGA_STEPS.length * 2);
    for (const statement of others) {
      for (const action of ([] as string[]).concat(statement.Action as string | string[])) {
        expect(action).toMatch(/^logs:\w+$/);
      }
    }
    for (const id of SAGA_STEPS) {
      expect(rolesAllowed('lambda:InvokeFunction', id)).toEqual([role]);
    }
  });

  it('gives the grant and cancel steps the forum’s Cloud Map URL, and the debit and refund steps the topic', () => {
    const withForum = resources('AWS::Lambda::Function')
      .filter(([, fn]) => JSON.stringify(fn.Properties.Environment ?? {}).includes('"FORUM_URL"'))
      .map(([id]) => id)
      .sort();

    expect(withForum).toEqual([LOGICAL_IDS.cancelGrantFunction, LOGICAL_IDS.grantFunction].sort());
    for (const id of withForum) {
      expect(variablesOf(id).FORUM_URL).toBe(`http://forum.${SERVICE_DOMAIN}:${SERVICE_PORT}`);
    }
    for (const id of [LOGICAL_IDS.debitFunction, LOGICAL_IDS.refundFunction]) {
      expect(variablesOf(id).EVENTS_TOPIC_ARN).toEqual({ Ref: LOGICAL_IDS.eventsTopic });
    }
  });

  it('keeps the forum’s internal title path off every public route: no listener rule, no CloudFront path', () => {
    const path = `${FORUM_TITLE_GRANTS_PATH}/6f1c2a9e-0000-4000-8000-000000000000`;
    const matches = (pattern: string) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      ).test(path);
    const listenerPatterns = resources('AWS::ElasticLoadBalancingV2::ListenerRule').flatMap(
      ([, rule]) =>
        (rule.Properties.Conditions as Array<{ PathPatternConfig?: { Values: string[] } }>).flatMap(
          (c) => c.PathPatternConfig?.Values ?? [],
        ),
    );
    const [, distribution] = resourceNamed('AWS::CloudFront::Distribution', 'Web');
    const cloudFrontPatterns = (
      distribution.Properties.DistributionConfig as {
        CacheBehaviors: Array<{ PathPattern: string }>;
      }
    ).CacheBehaviors.map((b) => b.PathPattern);

    expect(listenerPatterns.length).toBeGreaterThan(0);
    expect(listenerPatterns.filter(matches)).toEqual([]);
    expect(cloudFrontPatterns.sort()).toEqual([...LOAD_BALANCER_PATHS, ...SLOTS_API_PATHS].sort());
    expect(cloudFrontPatterns.filter(matches)).toEqual([]);
    // The same matcher does see a path that is routed.
    expect(
      ['/api/threads/*'].filter((p) =>
        new RegExp(`^${p.replace(/\*/g, '.*')}$`).test('/api/threads/1'),
      ),
    ).toHaveLength(1);
  });
});

describe('the purchase reconciler', () => {
  it('knows the saga, and may describe its executions and nothing else in Step Functions', () => {
    const role = roleOf(LOGICAL_IDS.reconcilerFunction);
    const onSaga = statementsOf(role).filter((s) => JSON.stringify(s.Action).includes('states:'));

    expect(variablesOf(LOGICAL_IDS.reconcilerFunction).PURCHASE_SAGA_ARN).toEqual({
      Ref: LOGICAL_IDS.purchaseSaga,
    });
    expect(onSaga).toEqual([
      { Effect: 'Allow', Action: 'states:DescribeExecution', Resource: SAGA_EXECUTIONS_ARN },
    ]);
    expect(actionsOf(role).sort()).toEqual(['rds-db:connect', 'states:DescribeExecution']);
    expect(rolesAllowed('states:DescribeExecution', LOGICAL_IDS.purchaseSaga)).toEqual([role]);
  });
});

describe('the purchases API function', () => {
  it('serves exactly the contract’s slots operations that exist from stage 04 on', () => {
    const sinceStage04 = [...loadContract().operations.values()]
      .filter((operation) => operation.sinceStage === '04')
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);

    expect(sinceStage04.length).toBeGreaterThan(0);
    expect(PURCHASE_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(sinceStage04.sort());
  });

  it('routes each of them on the HTTP API to the purchases function', () => {
    const integrationOf = (route: Resource) =>
      (route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })[
        'Fn::Join'
      ][1][1].Ref;
    const routes = resources('AWS::ApiGatewayV2::Route').map(([, r]) => r);

    for (const { method, path } of PURCHASE_ROUTES) {
      const matching = routes.filter((r) => r.Properties.RouteKey === `${method} ${path}`);
      expect(matching).toHaveLength(1);
      const integration = resource(integrationOf(matching[0] as Resource));
      expect(integration.Properties).toMatchObject({
        ApiId: { Ref: LOGICAL_IDS.slotsApi },
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [LOGICAL_IDS.purchasesFunction, 'Arn'] },
      });
    }
  });

  it('verifies tokens and knows the saga as the API functions do, publishes as they do, and may start that saga only', () => {
    const { TOKEN_ISSUER, JWKS_URL } = variablesOf(LOGICAL_IDS.writeFunction);
    const role = roleOf(LOGICAL_IDS.purchasesFunction);

    expect(variablesOf(LOGICAL_IDS.purchasesFunction)).toMatchObject({
      TOKEN_ISSUER,
      JWKS_URL,
      PURCHASE_SAGA_ARN: { Ref: LOGICAL_IDS.purchaseSaga },
    });
    expect(statementsOf(role)).toContainEqual({
      Effect: 'Allow',
      Action: 'states:StartExecution',
      Resource: { Ref: LOGICAL_IDS.purchaseSaga },
    });
    // A publisher's (the topic and its AWS managed key), the database, and starting the saga.
    expect(actionsOf(role).sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey*',
      'rds-db:connect',
      'sns:Publish',
      'states:StartExecution',
    ]);
    expect(rolesAllowed('states:StartExecution', LOGICAL_IDS.purchaseSaga)).toEqual([role]);
  });

  it('reserves the concurrency the other API functions reserve, with -c reservedConcurrency', () => {
    const withReserve = Template.fromStack(alerting.stack).toJSON().Resources as Record<
      string,
      Resource
    >;
    const reserved = (id: string) => withReserve[id]?.Properties.ReservedConcurrentExecutions;

    expect(reserved(LOGICAL_IDS.writeFunction)).toBe(5);
    expect(reserved(LOGICAL_IDS.purchasesFunction)).toBe(5);
    for (const id of SAGA_STEPS) expect(reserved(id)).toBeUndefined();
  });
});

/**
 * Every execution of the saga, `arn:…:states:<region>:<account>:execution:<its name>:*`, as the
 * template writes it (its name is the last part of its ARN, the Ref).
 */
const SAGA_EXECUTIONS_ARN = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':states:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':execution:',
      { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: LOGICAL_IDS.purchaseSaga }] }] },
      ':*',
    ],
  ],
};

/**
 * The interface endpoints: the publishers' way to SNS; the purchases function's (StartExecution)
 * and the reconciler's (DescribeExecution) to Step Functions.
 */
const ENDPOINTS = [
  {
    name: 'Sns',
    service: '.sns',
    allows: 'sns:Publish on the topic',
    statements: [{ Action: 'sns:Publish', Resource: { Ref: LOGICAL_IDS.eventsTopic } }],
  },
  {
    name: 'StepFunctions',
    service: '.states',
    allows: 'StartExecution on the saga and DescribeExecution on its executions',
    statements: [
      { Action: 'states:StartExecution', Resource: { Ref: LOGICAL_IDS.purchaseSaga } },
      { Action: 'states:DescribeExecution', Resource: SAGA_EXECUTIONS_ARN },
    ],
  },
] as const;

describe('the network paths', () => {
  it.each(ENDPOINTS)(
    'reaches $name through one interface endpoint, in one isolated subnet, with private DNS in a VPC that resolves it',
    ({ name, service }) => {
      const [, endpoint] = resourceNamed('AWS::EC2::VPCEndpoint', `NetworkVpc${name}Endpoint`);
      const [, vpc] = resourceNamed('AWS::EC2::VPC', 'NetworkVpc');
      const isolated = resources('AWS::EC2::Subnet')
        .filter(([, subnet]) => subnet.Properties.MapPublicIpOnLaunch === false)
        .map(([id]) => id);
      const subnets = (endpoint.Properties.SubnetIds as Array<{ Ref: string }>).map((s) => s.Ref);

      expect(endpoint.Properties).toMatchObject({
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        SecurityGroupIds: [
          { 'Fn::GetAtt': [securityGroupOf(`${name}EndpointSecurityGroup`), 'GroupId'] },
        ],
      });
      expect(JSON.stringify(endpoint.Properties.ServiceName)).toContain(`${service}"`);
      expect(subnets).toHaveLength(1);
      expect(isolated).toContain(subnets[0]);
      expect(vpc.Properties).toMatchObject({ EnableDnsHostnames: true, EnableDnsSupport: true });
    },
  );

  it('has no other endpoint', () => {
    const endpoints = resources('AWS::EC2::VPCEndpoint').map(([id]) =>
      id.replace(/[0-9A-F]{8}$/, ''),
    );

    expect(endpoints.sort()).toEqual(
      ENDPOINTS.map(({ name }) => `NetworkVpc${name}Endpoint`).sort(),
    );
  });

  it.each(ENDPOINTS)('lets through the $name endpoint only $allows', ({ name, statements }) => {
    const [, endpoint] = resourceNamed('AWS::EC2::VPCEndpoint', `NetworkVpc${name}Endpoint`);

    expect(endpoint.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: statements.map((statement) => ({
        Effect: 'Allow',
        Principal: { AWS: '*' },
        ...statement,
      })),
    });
  });

  it.each(ENDPOINTS)(
    'admits 443 to the $name endpoint from the functions only, and lets the functions out to it on 443',
    ({ name }) => {
      const endpoint = securityGroupOf(`${name}EndpointSecurityGroup`);
      const functions = securityGroupOf('SlotsFunctionsSecurityGroup');
      const ingress = resources('AWS::EC2::SecurityGroupIngress')
        .map(([, r]) => r.Properties)
        .filter((r) => (r.GroupId as GetAtt)['Fn::GetAtt'][0] === endpoint);

      expect(ingress).toEqual([
        expect.objectContaining({
          SourceSecurityGroupId: { 'Fn::GetAtt': [functions, 'GroupId'] },
          FromPort: 443,
          ToPort: 443,
          IpProtocol: 'tcp',
        }),
      ]);
      expect(egressOfFunctions()).toContain(`${endpoint}:443`);
      // Nothing out of the endpoint's group (CDK's placeholder rule matches no traffic).
      expect(resource(endpoint).Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '255.255.255.255/32' }),
      ]);
    },
  );

  it('admits to the forum’s port (Cloud Map’s forum.course.internal) only the load balancer and the grant and cancel steps’ own group, which lets them out to it and nowhere else', () => {
    const forum = securityGroupOf('ForumSecurityGroup');
    const callers = securityGroupOf('PurchaseSagaForumCallersSecurityGroup');
    const loadBalancer = securityGroupOf('LoadBalancerSecurityGroup');
    const admittedToForum = resources('AWS::EC2::SecurityGroupIngress')
      .map(([, r]) => r.Properties)
      .filter((r) => (r.GroupId as GetAtt)['Fn::GetAtt'][0] === forum)
      .map((r) => `${(r.SourceSecurityGroupId as GetAtt)['Fn::GetAtt'][0]}:${r.FromPort}`);
    const egressOf = (group: string) =>
      resources('AWS::EC2::SecurityGroupEgress')
        .map(([, r]) => r.Properties)
        .filter((r) => (r.GroupId as GetAtt)['Fn::GetAtt'][0] === group)
        .map((r) => `${(r.DestinationSecurityGroupId as GetAtt)['Fn::GetAtt'][0]}:${r.FromPort}`);

    expect(admittedToForum.sort()).toEqual(
      [`${loadBalancer}:${SERVICE_PORT}`, `${callers}:${SERVICE_PORT}`].sort(),
    );
    expect(egressOf(callers)).toEqual([`${forum}:${SERVICE_PORT}`]);
    expect(egressOfFunctions()).not.toContain(`${forum}:${SERVICE_PORT}`);
  });

  it('puts the grant and cancel steps, and no other function, in the forum callers’ group, beside the functions’ group (the database)', () => {
    const callers = securityGroupOf('PurchaseSagaForumCallersSecurityGroup');
    const functions = securityGroupOf('SlotsFunctionsSecurityGroup');
    const groupsOf = (fn: Resource) =>
      (
        (fn.Properties.VpcConfig as { SecurityGroupIds?: GetAtt[] } | undefined)
          ?.SecurityGroupIds ?? []
      ).map((g) => g['Fn::GetAtt'][0]);
    const inCallers = resources('AWS::Lambda::Function')
      .filter(([, fn]) => groupsOf(fn).includes(callers))
      .map(([id]) => id)
      .sort();

    expect(inCallers).toEqual([...FORUM_CALLERS].sort());
    for (const id of FORUM_CALLERS) {
      expect(groupsOf(resource(id))).toEqual([functions, callers]);
    }
  });

  it('runs the forum in the public subnets with a public IP and HTTPS out: its way to SQS', () => {
    const [, forumService] = resourceNamed('AWS::ECS::Service', 'ForumService');
    const [, forumGroup] = resourceNamed('AWS::EC2::SecurityGroup', 'ForumSecurityGroup');
    const network = (
      forumService.Properties.NetworkConfiguration as {
        AwsvpcConfiguration: { AssignPublicIp: string; Subnets: Array<{ Ref: string }> };
      }
    ).AwsvpcConfiguration;
    const publicSubnets = resources('AWS::EC2::Subnet')
      .filter(([, subnet]) => subnet.Properties.MapPublicIpOnLaunch === true)
      .map(([id]) => id)
      .sort();

    expect(network.AssignPublicIp).toBe('ENABLED');
    expect(network.Subnets.map((s) => s.Ref).sort()).toEqual(publicSubnets);
    expect(forumGroup.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }),
    ]);
  });
});

/** The functions' group's egress rules to other groups, as `<group>:<port>`. */
function egressOfFunctions(): string[] {
  const functions = securityGroupOf('SlotsFunctionsSecurityGroup');
  return resources('AWS::EC2::SecurityGroupEgress')
    .map(([, r]) => r.Properties)
    .filter((r) => (r.GroupId as GetAtt)['Fn::GetAtt'][0] === functions)
    .map((r) => `${(r.DestinationSecurityGroupId as GetAtt)['Fn::GetAtt'][0]}:${r.FromPort}`);
}

/** The properties of the alarms whose dimensions name `logicalId`. */
function alarmsOn(logicalId: string): Array<Record<string, unknown>> {
  return resources('AWS::CloudWatch::Alarm')
    .map(([, a]) => a.Properties)
    .filter((a) =>
      (a.Dimensions as Array<{ Value: unknown }> | undefined)?.some(
        (d) =>
          JSON.stringify(d.Value) === JSON.stringify({ 'Fn::GetAtt': [logicalId, 'QueueName'] }) ||
          JSON.stringify(d.Value) === JSON.stringify({ Ref: logicalId }),
      ),
    );
}
