// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are CloudFormation Fn::Sub strings
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel, readCloudAssembly, synthesizeApp } from '../src/assembly/index.ts';
import { createLambdaPool } from '../src/lambda/pool.ts';
import { LocalAwsError, type LocalAwsModel, type SuppliedValues } from '../src/model.ts';
import { FIXTURE_ASSEMBLY_DIR } from './fixture-app.ts';
import { appFunction, writeAssembly } from './hand-written-assembly.ts';

const endpoints = {
  messaging: 'http://127.0.0.1:4566',
  lambda: 'http://127.0.0.1:9001',
  httpApis: { ApiF70053CD: 'http://127.0.0.1:8080' },
};

function fixtureModel(): LocalAwsModel {
  return buildModel({ assembly: readCloudAssembly(FIXTURE_ASSEMBLY_DIR), endpoints });
}

function modelOf(
  resources: Record<string, unknown>,
  supplied?: SuppliedValues,
  extra = {},
  code?: string,
) {
  return buildModel({
    assembly: readCloudAssembly(writeAssembly(resources, extra, code)),
    endpoints,
    ...(supplied ? { supplied } : {}),
  });
}

/** The LocalAwsError a start would fail with. */
function startError(resources: Record<string, unknown>): LocalAwsError {
  try {
    modelOf(resources);
  } catch (error) {
    if (error instanceof LocalAwsError) return error;
    throw error;
  }
  throw new Error('the model was built');
}

describe('the fixture CDK app, synthesized and read', () => {
  it('serves the five marked functions from their locally bundled assets', () => {
    const model = fixtureModel();

    expect(model.functions.map((f) => f.logicalId).sort()).toEqual([
      'Consumer8D6BE417',
      'Fallback36519D20',
      'Greet8553ACA9',
      'RecorderC4C6639E',
      'Tick6513F4AE',
    ]);
    for (const fn of model.functions) {
      expect(existsSync(join(fn.codeDir, 'index.js'))).toBe(true);
      expect(fn.arn).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${fn.name}`);
    }
    const consumer = model.functions.find((f) => f.logicalId === 'Consumer8D6BE417');
    expect(consumer).toMatchObject({
      name: 'AwsLocalFixture-Consumer8D6BE417',
      timeoutSeconds: 30,
    });
  });

  it('resolves a queue reference in a function environment to the local queue URL', () => {
    const consumer = fixtureModel().functions.find((f) => f.logicalId === 'Consumer8D6BE417');

    expect(consumer?.environment.AUDIT_QUEUE_URL).toBe(
      'http://127.0.0.1:4566/000000000000/AwsLocalFixture-Audit3D8ADE0A',
    );
  });

  it('routes the HTTP API: a parameter route and $default, each to its function', () => {
    const [api] = fixtureModel().httpApis;

    expect(api).toMatchObject({
      logicalId: 'ApiF70053CD',
      apiId: 'apif70053cd',
      stageName: '$default',
    });
    expect(api?.routes.map((r) => [r.routeKey, r.functionName, r.integrationTimeoutMs])).toEqual([
      ['$default', 'AwsLocalFixture-Fallback36519D20', 30_000],
      ['GET /greetings/{name}', 'AwsLocalFixture-Greet8553ACA9', 30_000],
    ]);
  });

  it('reads the messaging: redrive policy, filtered raw subscription, mapping, schedule', () => {
    const model = fixtureModel();
    const orders = model.queues.find((q) => q.logicalId === 'OrdersA9B65338');
    const deadLetters = model.queues.find((q) => q.logicalId === 'OrdersDeadLetters5F17D95A');

    expect(orders).toMatchObject({
      visibilityTimeoutSeconds: 60,
      redrivePolicy: { deadLetterTargetArn: deadLetters?.arn, maxReceiveCount: 2 },
    });
    expect(model.subscriptions).toEqual([
      {
        logicalId: 'OrdersAwsLocalFixtureEventsC3A5AD82EFB6AF28',
        topicArn: 'arn:aws:sns:us-east-1:000000000000:AwsLocalFixture-EventsD32975C2',
        protocol: 'sqs',
        endpoint: orders?.arn,
        rawMessageDelivery: true,
        filterPolicy: { kind: ['order'] },
        filterPolicyScope: 'MessageAttributes',
      },
    ]);
    expect(model.eventSourceMappings).toEqual([
      expect.objectContaining({
        queueArn: orders?.arn,
        functionName: 'AwsLocalFixture-Consumer8D6BE417',
        batchSize: 5,
        reportBatchItemFailures: true,
        maximumConcurrency: 2,
        enabled: true,
      }),
    ]);
    expect(model.schedules).toEqual([
      expect.objectContaining({
        expression: 'rate(1 minute)',
        functionName: 'AwsLocalFixture-Tick6513F4AE',
        enabled: true,
      }),
    ]);
  });

  it('serves the bucket under a lower-case generated name, its Ref and Arn resolved where used', () => {
    const model = fixtureModel();
    const recorder = model.functions.find((f) => f.logicalId === 'RecorderC4C6639E');

    expect(model.buckets).toEqual([
      {
        logicalId: 'Records091F6ECA',
        name: 'awslocalfixture-records091f6eca',
        arn: 'arn:aws:s3:::awslocalfixture-records091f6eca',
        ignoredSettings: [
          { property: 'VersioningConfiguration', reason: expect.stringMatching(/versioning/) },
        ],
      },
    ]);
    expect(recorder?.environment).toMatchObject({
      RECORDS_BUCKET: 'awslocalfixture-records091f6eca',
      RECORDS_BUCKET_ARN: 'arn:aws:s3:::awslocalfixture-records091f6eca',
    });
    expect(model.ignored.find((r) => r.type === 'AWS::S3::BucketPolicy')?.reason).toMatch(
      /no permission is checked/,
    );
  });

  it('ignores CDK’s AwsCustomResource provider, its custom resource and IAM, each with a reason', () => {
    const ignored = fixtureModel().ignored;
    const reasonOf = (prefix: string, type: string) =>
      ignored.find((r) => r.logicalId.startsWith(prefix) && r.type === type)?.reason;

    expect(reasonOf('AWS679f53fac002430cb0da5b7982bd2287', 'AWS::Lambda::Function')).toMatch(
      /AwsCustomResource provider/,
    );
    expect(reasonOf('TopicAttributes', 'Custom::AWS')).toMatch(/custom resource/);
    expect(reasonOf('ConsumerServiceRole', 'AWS::IAM::Role')).toMatch(/IAM/);
  });

  it('was synthesized without Docker: the functions are bundled by the local esbuild', () => {
    const template = readCloudAssembly(FIXTURE_ASSEMBLY_DIR).stacks[0]?.template;

    const greet = template?.Resources?.Greet8553ACA9;
    expect(greet?.Metadata?.['aws:asset:is-bundled']).toBe(true);
  });
});

describe('synthesizeApp', () => {
  it('fails an app that would bundle in Docker instead of silently needing it', async () => {
    const dir = writeAssembly({}); // any scratch folder
    const entry = join(dir, 'app.ts');
    mkdirSync(join(dir, 'handler'));
    writeFileSync(join(dir, 'handler', 'index.ts'), 'export const handler = async () => null;\n');
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    writeFileSync(
      entry,
      [
        "import { App, Stack } from 'aws-cdk-lib';",
        "import { Runtime } from 'aws-cdk-lib/aws-lambda';",
        "import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';",
        'const app = new App();',
        "new NodejsFunction(new Stack(app, 'Docker'), 'Fn', {",
        `  entry: ${JSON.stringify(join(dir, 'handler', 'index.ts'))},`,
        `  projectRoot: ${JSON.stringify(dir)},`,
        `  depsLockFilePath: ${JSON.stringify(join(dir, 'package-lock.json'))},`,
        '  runtime: Runtime.NODEJS_24_X,',
        '  bundling: { forceDockerBundling: true },',
        '});',
      ].join('\n'),
    );

    const synth = synthesizeApp({
      entry,
      cwd: join(import.meta.dirname, '..'),
      outdir: join(dir, 'out'),
    });

    await expect(synth).rejects.toThrow(/docker-is-not-used-by-aws-local/);
  });
});

describe('a template the runtime cannot serve fails the start, naming the resource', () => {
  it('refuses an unsupported resource type', () => {
    const error = startError({ Table: { Type: 'AWS::DynamoDB::Table', Properties: {} } });

    expect(error.logicalId).toBe('Table');
    expect(error.message).toMatch(
      /Table: AWS::DynamoDB::Table is neither emulated nor declared ignored/,
    );
  });

  it('refuses a reference to an ignored resource the stage does not supply, and accepts it supplied', () => {
    const resources = {
      Database: { Type: 'AWS::RDS::DBInstance', Properties: {} },
      Fn: appFunction({
        Environment: { Variables: { DB_HOST: { 'Fn::GetAtt': ['Database', 'Endpoint.Address'] } } },
      }),
    };

    const error = startError(resources);
    const model = modelOf(resources, { Database: { 'Endpoint.Address': '127.0.0.1' } });

    expect(error).toMatchObject({ logicalId: 'Fn', property: 'Environment.Variables.DB_HOST' });
    expect(error.message).toMatch(/Database's Endpoint.Address/);
    expect(model.functions[0]?.environment.DB_HOST).toBe('127.0.0.1');
  });

  it('refuses a reference to a resource the template does not have', () => {
    const error = startError({
      Fn: appFunction({ Environment: { Variables: { X: { Ref: 'Nowhere' } } } }),
    });

    expect(error).toMatchObject({ logicalId: 'Fn', property: 'Environment.Variables.X' });
    expect(error.message).toMatch(/Nowhere, which is not in the template/);
  });

  it('refuses a function whose code asset is missing', () => {
    const error = startError({ Fn: appFunction({}, { 'aws:asset:path': 'asset.gone' }) });

    expect(error).toMatchObject({ logicalId: 'Fn', property: 'Code' });
    expect(error.message).toMatch(/asset\.gone is missing/);
  });

  it('refuses a function whose handler names no file of its asset', () => {
    const error = startError({ Fn: appFunction({ Handler: 'main.handler' }) });

    expect(error).toMatchObject({ logicalId: 'Fn', property: 'Handler' });
    expect(error.message).toMatch(/main\.handler names no file/);
  });

  it('refuses a function that is neither marked nor a CDK helper', () => {
    const unmarked = {
      ...appFunction(),
      Metadata: { 'aws:asset:path': 'asset.code', 'aws:cdk:path': 'Hand/Fn/Resource' },
    };

    const error = startError({ Fn: unmarked });

    expect(error.logicalId).toBe('Fn');
    expect(error.message).toMatch(/neither marked as the application's/);
  });

  it('leaves out a function marked as a deployment-time one, with a reason, and serves the rest', () => {
    const provider = {
      ...appFunction(),
      Metadata: {
        'aws:asset:path': 'asset.code',
        'aws:cdk:path': 'Hand/Task/Start/Resource',
        'course:deployment-function': true,
      },
    };

    const stageTypes = [
      'AWS::ServiceDiscovery::PrivateDnsNamespace',
      'AWS::ServiceDiscovery::Service',
      'AWS::ApplicationAutoScaling::ScalableTarget',
      'AWS::ApplicationAutoScaling::ScalingPolicy',
      'AWS::CloudFront::VpcOrigin',
      'AWS::WAFv2::WebACL',
      'AWS::Lambda::LayerVersion',
    ];
    const others = Object.fromEntries(
      stageTypes.map((type, i) => [`Other${i}`, { Type: type, Properties: {} }]),
    );

    // A custom resource Provider's waiter: CDK's own state machine, for deployments only.
    const waiter = {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {},
      Metadata: { 'aws:cdk:path': 'Hand/Provider/waiter-state-machine/Resource' },
    };

    const model = modelOf({ Fn: appFunction(), Start: provider, Waiter: waiter, ...others });

    expect(model.functions.map((f) => f.logicalId)).toEqual(['Fn']);
    expect(model.stateMachines).toEqual([]);
    expect(model.ignored.map((r) => r.type)).toEqual(
      expect.arrayContaining([...stageTypes, 'AWS::StepFunctions::StateMachine']),
    );
    expect(model.ignored).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          logicalId: 'Start',
          reason: expect.stringMatching(/deployment/),
        }),
      ]),
    );
  });

  it('refuses an HTTP API authorizer, payload format 1.0 and a non-sqs subscription', () => {
    const api = { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'A', ProtocolType: 'HTTP' } };
    const stage = {
      Type: 'AWS::ApiGatewayV2::Stage',
      Properties: { ApiId: { Ref: 'Api' }, StageName: '$default' },
    };
    const integration = (format: string) => ({
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: {
        ApiId: { Ref: 'Api' },
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': ['Fn', 'Arn'] },
        PayloadFormatVersion: format,
      },
    });
    const route = {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: 'Api' },
        RouteKey: '$default',
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] },
      },
    };
    const http = { Api: api, Stage: stage, Route: route, Fn: appFunction() };

    const authorizer = startError({
      ...http,
      Integration: integration('2.0'),
      Auth: { Type: 'AWS::ApiGatewayV2::Authorizer', Properties: {} },
    });
    const oldFormat = startError({ ...http, Integration: integration('1.0') });
    const email = startError({
      Topic: { Type: 'AWS::SNS::Topic' },
      Sub: {
        Type: 'AWS::SNS::Subscription',
        Properties: { Protocol: 'email', TopicArn: { Ref: 'Topic' }, Endpoint: 'a@example.com' },
      },
    });

    expect(authorizer).toMatchObject({ logicalId: 'Auth' });
    expect(authorizer.message).toMatch(/authorizers are not emulated/);
    expect(oldFormat).toMatchObject({ logicalId: 'Integration', property: 'PayloadFormatVersion' });
    expect(email).toMatchObject({ logicalId: 'Sub', property: 'Protocol' });
  });
});

describe('intrinsic functions resolve to local values', () => {
  it('resolves Fn::Sub (both forms), Fn::Join, Fn::Select, Fn::Split, Fn::If and pseudo parameters', () => {
    const model = modelOf(
      {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'jobs' } },
        Fn: appFunction({
          Environment: {
            Variables: {
              SUB: {
                'Fn::Sub':
                  'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Queue.QueueName} ${!Literal}',
              },
              SUB_VARS: {
                'Fn::Sub': ['${Url}?stack=${AWS::StackName}', { Url: { Ref: 'Queue' } }],
              },
              SELECTED: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] },
              JOINED: { 'Fn::Join': ['-', ['x', { Ref: 'AWS::URLSuffix' }]] },
              CHOSEN: { 'Fn::If': ['IsLocal', 'yes', 'no'] },
            },
          },
          ReservedConcurrentExecutions: { 'Fn::If': ['IsLocal', { Ref: 'AWS::NoValue' }, 5] },
        }),
      },
      undefined,
      { Conditions: { IsLocal: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] } } },
    );

    const fn = model.functions[0];
    expect(fn?.environment).toEqual({
      SUB: 'arn:aws:sqs:us-east-1:000000000000:jobs ${Literal}',
      SUB_VARS: 'http://127.0.0.1:4566/000000000000/jobs?stack=Hand',
      SELECTED: 'b',
      JOINED: 'x-amazonaws.com',
      CHOSEN: 'yes',
    });
    expect(fn?.reservedConcurrency).toBeUndefined();
  });

  it('leaves properties the runtime does not use unresolved (a function’s Role)', () => {
    const model = modelOf({ Fn: appFunction({ Role: { 'Fn::GetAtt': ['MissingRole', 'Arn'] } }) });

    expect(model.functions).toHaveLength(1);
  });
});

describe('functions', () => {
  it('starts a function whose handler names a nested export (index.group.handler)', async () => {
    const model = modelOf(
      { Fn: appFunction({ Handler: 'index.group.handler' }) },
      undefined,
      {},
      'exports.group = { handler: async () => "from the nested handler" };\n',
    );
    const pool = createLambdaPool(model.functions, { timeScale: 1, log: () => {} });

    try {
      const result = await pool.invoke('Hand-Fn', {});

      expect(result).toMatchObject({
        outcome: 'success',
        payload: JSON.stringify('from the nested handler'),
      });
    } finally {
      await pool.stop();
    }
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a local concurrency of %s', (cap) => {
    const model = modelOf({ Fn: appFunction({}) });

    expect(() =>
      createLambdaPool(model.functions, { timeScale: 1, log: () => {}, defaultConcurrency: cap }),
    ).toThrow(/localConcurrency must be a whole number ≥ 1/);
  });

  it.each(['AWS_REGION', 'AWS_LAMBDA_FUNCTION_NAME', '_HANDLER'])(
    'refuses, as Lambda would, an environment that sets the reserved %s',
    (key) => {
      const error = startError({
        Fn: appFunction({ Environment: { Variables: { APP_MODE: 'local', [key]: 'x' } } }),
      });

      expect(error).toMatchObject({ logicalId: 'Fn', property: `Environment.Variables.${key}` });
      expect(error.message).toMatch(/reserved by Lambda/);
    },
  );
});

describe('a JSON property that is not a JSON object fails the start, naming it', () => {
  const topic = { Type: 'AWS::SNS::Topic' };
  const subscribed = (filterPolicy: unknown) => ({
    Topic: topic,
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    Sub: {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        Protocol: 'sqs',
        TopicArn: { Ref: 'Topic' },
        Endpoint: { 'Fn::GetAtt': ['Queue', 'Arn'] },
        FilterPolicy: filterPolicy,
      },
    },
  });
  const redriven = (redrivePolicy: unknown) => ({
    Queue: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: redrivePolicy } },
  });

  it.each([
    [
      'RedrivePolicy text that is not JSON',
      redriven('{"maxReceiveCount": 2'),
      'Queue',
      'RedrivePolicy',
    ],
    [
      'a RedrivePolicy without its dead-letter queue',
      redriven({ maxReceiveCount: 2 }),
      'Queue',
      'RedrivePolicy',
    ],
    [
      'a RedrivePolicy with a receive count of 0',
      redriven('{"deadLetterTargetArn":"arn:x","maxReceiveCount":0}'),
      'Queue',
      'RedrivePolicy',
    ],
    ['FilterPolicy text that is not JSON', subscribed("{kind: ['order']}"), 'Sub', 'FilterPolicy'],
    ['a FilterPolicy that is a JSON array', subscribed('["order"]'), 'Sub', 'FilterPolicy'],
  ])('%s', (_, resources, logicalId, property) => {
    const error = startError(resources);

    expect(error).toMatchObject({ logicalId, property });
  });

  it('reads a RedrivePolicy and a FilterPolicy given as JSON text', () => {
    const model = modelOf({
      ...subscribed('{"kind":["order"]}'),
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: { RedrivePolicy: '{"deadLetterTargetArn":"arn:dlq","maxReceiveCount":"3"}' },
      },
    });

    expect(model.queues[0]?.redrivePolicy).toEqual({
      deadLetterTargetArn: 'arn:dlq',
      maxReceiveCount: 3,
    });
    expect(model.subscriptions[0]?.filterPolicy).toEqual({ kind: ['order'] });
  });
});

describe('schedules', () => {
  const rule = (target: Record<string, unknown>, properties: Record<string, unknown> = {}) => ({
    Fn: appFunction(),
    Rule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'rate(1 hour)',
        Targets: [{ Id: 'Target0', Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, ...target }],
        ...properties,
      },
    },
  });
  const schedule = (properties: Record<string, unknown>, target: Record<string, unknown> = {}) => ({
    Fn: appFunction(),
    Schedule: {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        ScheduleExpression: 'cron(0 3 * * ? *)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, RoleArn: 'arn:role', ...target },
        ...properties,
      },
    },
  });

  it.each([
    [
      'a time zone other than UTC',
      schedule({ ScheduleExpressionTimezone: 'Europe/Paris' }),
      'Schedule',
      'ScheduleExpressionTimezone',
    ],
    [
      'a flexible time window',
      schedule({ FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 } }),
      'Schedule',
      'FlexibleTimeWindow',
    ],
    ['a start date', schedule({ StartDate: '2030-01-01T00:00:00Z' }), 'Schedule', 'StartDate'],
    ['an end date', schedule({ EndDate: '2030-01-01T00:00:00Z' }), 'Schedule', 'EndDate'],
    ['a rule target’s InputPath', rule({ InputPath: '$.detail' }), 'Rule', 'Targets.0.InputPath'],
    [
      'a rule target’s InputTransformer',
      rule({ InputTransformer: { InputTemplate: '"x"' } }),
      'Rule',
      'Targets.0.InputTransformer',
    ],
  ])(
    'refuses %s rather than fire at other times or with another event',
    (_, resources, logicalId, property) => {
      const error = startError(resources);

      expect(error).toMatchObject({ logicalId, property });
    },
  );

  it('carries each schedule’s ARN from its Name (and a schedule’s group), and who sends its event', () => {
    const model = modelOf({
      ...rule({}, { Name: 'hourly' }),
      ...schedule({ Name: 'nightly', GroupName: 'jobs', ScheduleExpressionTimezone: 'UTC' }),
    });

    expect(model.schedules.map(({ logicalId, arn, source }) => [logicalId, arn, source])).toEqual([
      ['Rule', 'arn:aws:events:us-east-1:000000000000:rule/hourly', 'aws.events'],
      [
        'Schedule',
        'arn:aws:scheduler:us-east-1:000000000000:schedule/jobs/nightly',
        'aws.scheduler',
      ],
    ]);
  });
});
