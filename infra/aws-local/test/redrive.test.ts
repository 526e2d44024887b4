import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  CancelMessageMoveTaskCommand,
  DeleteMessageCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../src/index.ts';
import { FIXTURE_ASSEMBLY_DIR } from './fixture-app.ts';
import { failureOf } from './sdk-failure.ts';

// 25× as fast: the orders queue's 60 s visibility timeout is 2.4 s, so a failing order reaches
// the dead letters (after 2 receives) within seconds.
const TIME_SCALE = 0.04;

let local: LocalAws;
let sqs: SQSClient;

beforeAll(async () => {
  local = await startLocalAws({
    assemblyDir: FIXTURE_ASSEMBLY_DIR,
    timeScale: TIME_SCALE,
    log: () => {},
  });
  sqs = new SQSClient(config(local.env.AWS_ENDPOINT_URL_SQS));
});
afterAll(() => local?.stop());

function config(endpoint: string | undefined) {
  return {
    endpoint,
    region: local.env.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

const queue = (logicalId: string) => {
  const found = local.model.queues.find((q) => q.logicalId === logicalId);
  if (!found) throw new Error(`no queue ${logicalId}`);
  return { arn: found.arn, url: local.queueUrls[logicalId] ?? '' };
};
const orders = () => queue('OrdersA9B65338');
const deadLetters = () => queue('OrdersDeadLetters5F17D95A');

/** Waits (bounded) until `check` returns a value. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function depth(name: string): Promise<number> {
  const snapshot = await local.messaging.server.inspectQueue(name);
  const { ready = [], delayed = [], inflight = [] } = snapshot?.messages ?? {};
  return ready.length + delayed.length + inflight.length;
}

describe('dead-letter redrive with StartMessageMoveTask', () => {
  it('moves a dead letter back to its source queue, where the fixed consumer consumes it, and lists the task', async () => {
    const sns = new SNSClient(config(local.env.AWS_ENDPOINT_URL_SNS));
    await sns.send(
      new PublishCommand({
        TopicArn: local.model.topics[0]?.arn,
        Message: 'needs-fix-1',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } },
      }),
    );
    const dlqName = deadLetters().arn.split(':').pop() ?? '';
    await eventually('the order in the dead letters', async () =>
      (await depth(dlqName)) === 1 ? true : undefined,
    );
    await new S3Client(config(local.env.AWS_ENDPOINT_URL_S3)).send(
      new PutObjectCommand({
        Bucket: local.bucketNames.Records091F6ECA,
        Key: 'fixes/needs-fix-1',
        Body: 'fixed',
      }),
    );

    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: deadLetters().arn }),
    );

    const recorded = await eventually('the order in the audit queue', async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: local.queueUrls.Audit3D8ADE0A,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      for (const m of Messages) {
        await sqs.send(
          new DeleteMessageCommand({
            QueueUrl: local.queueUrls.Audit3D8ADE0A,
            ReceiptHandle: m.ReceiptHandle,
          }),
        );
      }
      return Messages.map((m) => JSON.parse(m.Body ?? '{}')).find((r) => r.body === 'needs-fix-1');
    });
    expect(TaskHandle).toEqual(expect.any(String));
    // Body and message attributes kept: the consumer saw the `kind` attribute it was published with.
    expect(recorded).toEqual({ kind: 'order', body: 'needs-fix-1', attribute: 'order' });
    expect(await depth(dlqName)).toBe(0);
    const { Results } = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: deadLetters().arn, MaxResults: 10 }),
    );
    expect(Results).toEqual([
      expect.objectContaining({
        Status: 'COMPLETED',
        SourceArn: deadLetters().arn,
        ApproximateNumberOfMessagesMoved: 1,
        ApproximateNumberOfMessagesToMove: 1,
        StartedTimestamp: expect.any(Number),
      }),
    ]);
    expect(Results?.[0]?.DestinationArn).toBeUndefined();
  });

  it('refuses a source that is no queue’s dead-letter queue (UnsupportedOperation), as SQS does', async () => {
    const refused = await failureOf(
      sqs.send(new StartMessageMoveTaskCommand({ SourceArn: orders().arn })),
      SQSServiceException,
    );

    expect(refused.name).toBe('UnsupportedOperation');
    expect(refused.$metadata.httpStatusCode).toBe(400);
  });

  it('answers ResourceNotFoundException for a queue that does not exist and a task handle it never gave', async () => {
    const noQueue = await failureOf(
      sqs.send(
        new StartMessageMoveTaskCommand({
          SourceArn: 'arn:aws:sqs:us-east-1:000000000000:no-such-queue',
        }),
      ),
      SQSServiceException,
    );
    const noTask = await failureOf(
      sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'bm8tc3VjaC10YXNr' })),
      SQSServiceException,
    );

    expect(noQueue.name).toBe('ResourceNotFoundException');
    expect(noTask.name).toBe('ResourceNotFoundException');
  });

  it('moves at most MaxNumberOfMessagesPerSecond, to a DestinationArn, and cancels a running task', async () => {
    const audit = queue('Audit3D8ADE0A');
    // Ten dead letters straight into the DLQ (as if redriven there), none of them consumed.
    for (let i = 0; i < 10; i++) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetters().url,
          MessageBody: `slow-${i}`,
        }),
      );
    }
    const startedAt = Date.now();

    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: deadLetters().arn,
        DestinationArn: audit.arn,
        MaxNumberOfMessagesPerSecond: 4,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const cancelled = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    const listed = await eventually('the task cancelled', async () => {
      const { Results = [] } = await sqs.send(
        new ListMessageMoveTasksCommand({ SourceArn: deadLetters().arn }),
      );
      return Results[0]?.Status === 'CANCELLED' ? Results[0] : undefined;
    });

    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    // 4 per second: after about a second, at most 4 per second elapsed (+ the first batch).
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeLessThanOrEqual(
      Math.ceil(elapsedSeconds * 4) + 4,
    );
    expect(listed).toMatchObject({
      DestinationArn: audit.arn,
      MaxNumberOfMessagesPerSecond: 4,
      ApproximateNumberOfMessagesToMove: 10,
    });
    expect(listed.ApproximateNumberOfMessagesMoved).toBeLessThan(10);
    expect(listed.TaskHandle).toBeUndefined();
  });

  it('moves a dead letter someone has looked at with a receive of visibility 0', async () => {
    const audit = queue('Audit3D8ADE0A');
    const dlqName = deadLetters().arn.split(':').pop() ?? '';
    await sqs.send(new SendMessageCommand({ QueueUrl: deadLetters().url, MessageBody: 'peeked' }));
    // How a learner looks into a dead-letter queue without hiding the message from anyone.
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deadLetters().url, VisibilityTimeout: 0 }),
    );
    expect(Messages).toHaveLength(1);

    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: deadLetters().arn, DestinationArn: audit.arn }),
    );
    const listed = await eventually('the task completed', async () => {
      const { Results = [] } = await sqs.send(
        new ListMessageMoveTasksCommand({ SourceArn: deadLetters().arn }),
      );
      return Results[0]?.Status === 'COMPLETED' ? Results[0] : undefined;
    });

    expect(TaskHandle).toBeDefined();
    expect(listed.ApproximateNumberOfMessagesMoved).toBeGreaterThanOrEqual(1);
    expect(listed.ApproximateNumberOfMessagesMoved).toBe(listed.ApproximateNumberOfMessagesToMove);
    expect(await depth(dlqName)).toBe(0);
  });
});
