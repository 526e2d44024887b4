import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, LocalAwsError, startLocalAws } from '../src/index.ts';
import { FIXTURE_ASSEMBLY_DIR } from './fixture-app.ts';
import { appFunction, writeAssembly } from './hand-written-assembly.ts';

// The fixture's durations, 25× as fast: the consumer's 30 s timeout is 1.2 s, the orders queue's
// 60 s visibility timeout 2.4 s, the one-minute schedule 2.4 s.
const TIME_SCALE = 0.04;

let local: LocalAws;
let sqs: SQSClient;
const lines: string[] = [];

beforeAll(async () => {
  local = await startLocalAws({
    assemblyDir: FIXTURE_ASSEMBLY_DIR,
    timeScale: TIME_SCALE,
    log: (source, line) => lines.push(`[${source}] ${line}`),
  });
  sqs = new SQSClient(clientConfig(local.env.AWS_ENDPOINT_URL_SQS));
});
afterAll(() => local?.stop());

function clientConfig(endpoint: string | undefined) {
  return {
    endpoint,
    region: local.env.AWS_REGION,
    credentials: {
      accessKeyId: local.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: local.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  };
}

function queueUrl(logicalId: string): string {
  const queue = local.model.queues.find((q) => q.logicalId === logicalId);
  return `${local.endpoints.messaging}/${local.model.accountId}/${queue?.name}`;
}

/** Every message received from the audit queue so far (the consumer's and the schedule's records). */
const audit: { kind: string; body?: string; source?: string }[] = [];

/** Receives (and deletes) from a queue until `found` holds, within a bounded time. */
async function receiveUntil<T>(
  url: string,
  into: T[],
  found: () => boolean,
  parse: (body: string) => T,
) {
  const deadline = Date.now() + 20_000;
  while (!found()) {
    if (Date.now() > deadline)
      throw new Error(`not found in ${url} within 20 s; received ${JSON.stringify(into)}`);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const message of Messages) {
      into.push(parse(message.Body ?? ''));
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  }
}

const receiveAudit = (found: () => boolean) =>
  receiveUntil(queueUrl('Audit3D8ADE0A'), audit, found, (body) => JSON.parse(body));

async function publish(kind: string, message: string): Promise<void> {
  const sns = new SNSClient(clientConfig(local.env.AWS_ENDPOINT_URL_SNS));
  const topicArn = local.model.topics[0]?.arn;
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Message: message,
      MessageAttributes: { kind: { DataType: 'String', StringValue: kind } },
    }),
  );
}

describe('the fixture CDK app served locally', () => {
  it('routes HTTP API requests to the route’s function: a {param} route and $default', async () => {
    const apiUrl = local.httpApiUrls.ApiF70053CD;

    const greet = await fetch(`${apiUrl}/greetings/ada?lang=en`);
    const other = await fetch(`${apiUrl}/some/where/else`, { method: 'POST' });

    expect(greet.status).toBe(200);
    expect(await greet.json()).toEqual({
      greeting: 'Hello, ada',
      routeKey: 'GET /greetings/{name}',
      query: { lang: 'en' },
      functionName: 'AwsLocalFixture-Greet8553ACA9',
    });
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ routeKey: '$default', path: '/some/where/else' });
  });

  it('delivers a matching publish through the filtered subscription and the mapping to the consumer, which writes back over SQS', async () => {
    await publish('chatter', 'not-an-order');
    await publish('order', 'order-1');

    await receiveAudit(() => audit.some((r) => r.kind === 'order' && r.body === 'order-1'));
    await waitUntilEmpty('OrdersA9B65338');
    await receiveAudit(() => true);

    expect(audit.filter((r) => r.kind === 'order').map((r) => r.body)).not.toContain(
      'not-an-order',
    );
  });

  it('moves a message the consumer keeps failing to the dead-letter queue', async () => {
    const deadLetters: string[] = [];

    await publish('order', 'poison-1');

    await receiveUntil(
      queueUrl('OrdersDeadLetters5F17D95A'),
      deadLetters,
      () => deadLetters.length > 0,
      (b) => b,
    );
    expect(deadLetters).toEqual(['poison-1']);
    expect(audit.map((r) => r.body)).not.toContain('poison-1');
  });

  it('runs the scheduled function on its (scaled) schedule', async () => {
    await receiveAudit(() => audit.some((r) => r.kind === 'tick'));

    expect(audit.find((r) => r.kind === 'tick')).toEqual({ kind: 'tick', source: 'aws.events' });
    expect(lines).toContain(
      `[aws-local] time scale ${TIME_SCALE}: every duration of the template runs 25× as fast`,
    );
  });

  it('answers Lambda Invoke from @aws-sdk/client-lambda', async () => {
    const lambda = new LambdaClient(clientConfig(local.env.AWS_ENDPOINT_URL_LAMBDA));

    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: 'AwsLocalFixture-Greet8553ACA9',
        Payload: JSON.stringify({ pathParameters: { name: 'sdk' }, routeKey: 'direct' }),
      }),
    );

    expect(result.StatusCode).toBe(200);
    expect(result.FunctionError).toBeUndefined();
    const payload = JSON.parse(new TextDecoder().decode(result.Payload));
    expect(JSON.parse(payload.body)).toMatchObject({ greeting: 'Hello, sdk', routeKey: 'direct' });
  });

  it('logs what it serves and what it ignores, with the reason', () => {
    expect(lines).toContain('[aws-local]   GET /greetings/{name} → AwsLocalFixture-Greet8553ACA9');
    expect(
      lines.some((l) =>
        /ignored AWS679f53fac002430cb0da5b7982bd2287\w+ \(AWS::Lambda::Function\): CDK’s AwsCustomResource provider/.test(
          l,
        ),
      ),
    ).toBe(true);
  });
});

async function waitUntilEmpty(logicalId: string): Promise<void> {
  const name = local.model.queues.find((q) => q.logicalId === logicalId)?.name ?? '';
  const deadline = Date.now() + 20_000;
  for (;;) {
    const snapshot = await local.messaging.server.inspectQueue(name);
    const { ready = [], delayed = [], inflight = [] } = snapshot?.messages ?? {};
    if (ready.length + delayed.length + inflight.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${name} did not drain within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('startLocalAws options', () => {
  it('turns on the fault switches it is given, before anything is consumed', async () => {
    const lines: string[] = [];
    const dir = writeAssembly({ Queue: { Type: 'AWS::SQS::Queue', Properties: {} } });

    const started = await startLocalAws({
      assemblyDir: dir,
      faults: [{ target: 'Hand-Queue', switches: { reorder: true } }],
      log: (source, line) => lines.push(`[${source}] ${line}`),
    });
    await started.stop();

    expect(lines).toContain('[aws-local] fault switches for Hand-Queue: reorder');
  });

  it('sets the stage’s function variables over the template’s, and says which', async () => {
    const lines: string[] = [];
    const dir = writeAssembly(
      {
        Fn: appFunction({
          Environment: { Variables: { DATABASE_URL: 'from-the-template', KEPT: 'template' } },
        }),
      },
      {},
      'exports.handler = async () => ({ url: process.env.DATABASE_URL, kept: process.env.KEPT });\n',
    );
    const started = await startLocalAws({
      assemblyDir: dir,
      functionEnvironment: { DATABASE_URL: 'postgresql://127.0.0.1:5432/local' },
      log: (source, line) => lines.push(`[${source}] ${line}`),
    });

    try {
      const result = await started.invoker.invoke('Hand-Fn', {});
      expect(result.outcome).toBe('success');
      expect(JSON.parse(result.outcome === 'success' ? result.payload : 'null')).toEqual({
        url: 'postgresql://127.0.0.1:5432/local',
        kept: 'template',
      });
      expect(lines).toContain('[aws-local] set in every function over the template: DATABASE_URL');
    } finally {
      await started.stop();
    }
  });

  it('sums up what it ignores per reason: a few by name, many as a count per type', async () => {
    const lines: string[] = [];
    const subnet = { Type: 'AWS::EC2::Subnet', Properties: {} };
    const dir = writeAssembly({
      Vpc: { Type: 'AWS::EC2::VPC', Properties: {} },
      SubnetA: subnet,
      SubnetB: subnet,
      SubnetC: subnet,
      Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
    });

    const started = await startLocalAws({
      assemblyDir: dir,
      log: (source, line) => lines.push(`[${source}] ${line}`),
    });
    await started.stop();

    const ignored = lines.filter((line) => line.startsWith('[aws-local] ignored'));
    expect(ignored).toHaveLength(2);
    expect(ignored).toContainEqual(
      expect.stringMatching(
        /^\[aws-local\] ignored 4 resources \(1 × AWS::EC2::VPC, 3 × AWS::EC2::Subnet\): /,
      ),
    );
    expect(ignored).toContainEqual(
      expect.stringMatching(/^\[aws-local\] ignored Alarm \(AWS::CloudWatch::Alarm\): /),
    );
  });

  it('refuses a function variable Lambda reserves, as in a template', async () => {
    const dir = writeAssembly({ Fn: appFunction() });

    const start = startLocalAws({
      assemblyDir: dir,
      functionEnvironment: { AWS_REGION: 'eu-west-1' },
      log: () => {},
    });

    await expect(start).rejects.toThrow(/functionEnvironment: AWS_REGION is reserved/);
  });
});

describe('a stage the runtime cannot serve does not start', () => {
  it('fails the start with an error naming the resource', async () => {
    const dir = writeAssembly({
      Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Fn: appFunction(),
    });

    const start = startLocalAws({ assemblyDir: dir, log: () => {} });

    await expect(start).rejects.toThrow(LocalAwsError);
    await expect(start).rejects.toMatchObject({ logicalId: 'Table' });
  });

  it('refuses, as Lambda would, a mapping from a queue whose visibility timeout is shorter than the function’s timeout', async () => {
    const dir = writeAssembly({
      Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 5 } },
      Fn: appFunction({ Timeout: 10 }),
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
          FunctionName: { Ref: 'Fn' },
        },
      },
    });

    const start = startLocalAws({ assemblyDir: dir, log: () => {} });

    await expect(start).rejects.toMatchObject({
      logicalId: 'Mapping',
      message: expect.stringMatching(
        /Queue visibility timeout: 5 seconds is less than Function timeout: 10 seconds/,
      ),
    });
  });
});
