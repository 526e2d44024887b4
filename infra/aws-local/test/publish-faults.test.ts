import {
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SNSServiceException,
} from '@aws-sdk/client-sns';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../src/index.ts';
import { FIXTURE_ASSEMBLY_DIR } from './fixture-app.ts';
import { failureOf } from './sdk-failure.ts';

let local: LocalAws;
let sns: SNSClient;
const lines: string[] = [];

beforeAll(async () => {
  local = await startLocalAws({
    assemblyDir: FIXTURE_ASSEMBLY_DIR,
    timeScale: 0.04,
    faults: [{ target: 'AwsLocalFixture-EventsD32975C2', switches: { refusePublish: 'once' } }],
    log: (source, line) => lines.push(`[${source}] ${line}`),
  });
  sns = new SNSClient({
    endpoint: local.env.AWS_ENDPOINT_URL_SNS,
    region: local.env.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(() => local?.stop());

const topicArn = () => local.model.topics[0]?.arn ?? '';
const topicName = 'AwsLocalFixture-EventsD32975C2';

const publishOrder = (body: string) =>
  sns.send(
    new PublishCommand({
      TopicArn: topicArn(),
      Message: body,
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } },
    }),
  );

/** The bodies the consumer recorded in the audit queue, until `body` is among them (bounded). */
async function auditUntil(body: string): Promise<string[]> {
  const sqs = new SQSClient({
    endpoint: local.env.AWS_ENDPOINT_URL_SQS,
    region: local.env.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const url = local.queueUrls.Audit3D8ADE0A;
  const seen: string[] = [];
  const deadline = Date.now() + 20_000;
  while (!seen.includes(body)) {
    if (Date.now() > deadline) throw new Error(`${body} not recorded; saw ${seen.join(', ')}`);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of Messages) {
      const record = JSON.parse(m.Body ?? '{}');
      if (record.kind === 'order') seen.push(record.body);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return seen;
}

describe('the refuse-publish fault switch (an SNS outage on demand)', () => {
  it('refuses the next publish as SNS does when unavailable — every retry of that call — then delivers again', async () => {
    const refused = await failureOf(publishOrder('refused-1'), SNSServiceException);
    await publishOrder('accepted-1');

    expect(refused.name).toBe('ServiceUnavailable');
    expect(refused.$fault).toBe('server');
    expect(refused.$metadata.httpStatusCode).toBe(503);
    // The SDK retried the 503 (a transient error) and every attempt was refused.
    expect(refused.$metadata.attempts).toBeGreaterThan(1);
    const recorded = await auditUntil('accepted-1');
    expect(recorded).not.toContain('refused-1');
    expect(lines).toContain(`[aws-local] fault switches for ${topicName}: refusePublish=once`);
  });

  it('can be turned on and off while running, for Publish and PublishBatch alike', async () => {
    local.messaging.faults.set(topicName, { refusePublish: 1 });
    const batch = await failureOf(
      sns.send(
        new PublishBatchCommand({
          TopicArn: topicArn(),
          PublishBatchRequestEntries: [{ Id: '1', Message: 'refused-2' }],
        }),
      ),
      SNSServiceException,
    );
    const single = await failureOf(publishOrder('refused-3'), SNSServiceException);

    local.messaging.faults.set(topicName, {});
    await publishOrder('accepted-2');

    expect(batch.name).toBe('ServiceUnavailable');
    expect(single.name).toBe('ServiceUnavailable');
    const recorded = await auditUntil('accepted-2');
    expect(recorded).not.toContain('refused-3');
  });
});
