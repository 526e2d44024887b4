/*
 * The SQS event a mapping builds, checked by a third-party oracle (Powertools' SqsSchema) and
 * against the example event in the Lambda developer guide ("Using Lambda with Amazon SQS").
 */
import { createHash } from 'node:crypto';
import { SqsSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Messaging, startMessaging } from '../src/messaging/index.ts';
import { FAUXQS_ACCOUNT_ID, queueUrlFor } from '../src/messaging/names.ts';
import {
  aFunction,
  aMapping,
  aModel,
  aQueue,
  clients,
  eventually,
  REGION,
  StubInvoker,
} from './messaging-fixture.ts';

/** The Lambda developer guide's example standard-queue record (the fields, not the values, matter). */
const AWS_EXAMPLE_RECORD = {
  messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
  receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...',
  body: 'Test message.',
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1545082649183',
    SenderId: 'AIDAIENQZJOLO23YVJ4VO',
    ApproximateFirstReceiveTimestamp: '1545082649185',
  },
  messageAttributes: {
    myAttribute: {
      stringValue: 'myValue',
      stringListValues: [],
      binaryListValues: [],
      dataType: 'String',
    },
  },
  md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-2:123456789012:my-queue',
  awsRegion: 'us-east-2',
};

const keysOf = (value: object) => Object.keys(value).sort();

const standard = aQueue('events');
const fifo = aQueue('ledger.fifo');
const invoker = new StubInvoker({ standard: () => undefined, fifo: () => undefined });
let messaging: Messaging;

beforeAll(async () => {
  messaging = await startMessaging(
    aModel({
      queues: [standard, fifo],
      functions: [aFunction('standard'), aFunction('fifo')],
      eventSourceMappings: [
        aMapping(standard, aFunction('standard')),
        aMapping(fifo, aFunction('fifo')),
      ],
    }),
    { invoker, timeScale: 0.1, log: () => {} },
  );
});
afterAll(() => messaging.stop());

async function deliveredRecord(fn: string, command: SendMessageCommand) {
  await clients(messaging.endpoint).sqs.send(command);
  const call = await eventually(() => invoker.callsOf(fn)[0]);
  return { event: call.event as SQSEvent, record: (call.event as SQSEvent).Records[0] };
}

describe('the SQS event', () => {
  it('is a valid SqsSchema event with the fields of AWS example record', async () => {
    const body = JSON.stringify({ spin: 42 });
    const { event, record } = await deliveredRecord(
      'standard',
      new SendMessageCommand({
        QueueUrl: queueUrlFor(messaging.endpoint, FAUXQS_ACCOUNT_ID, standard.name),
        MessageBody: body,
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'spin' },
          amount: { DataType: 'Number', StringValue: '42' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from('slots') },
        },
      }),
    );

    expect(SqsSchema.safeParse(event).success).toBe(true);
    expect(record).toBeDefined();
    if (!record) return;
    const { md5OfMessageAttributes, ...rest } = record;
    expect(keysOf(rest)).toEqual(keysOf(AWS_EXAMPLE_RECORD));
    expect(keysOf(record.attributes)).toEqual(keysOf(AWS_EXAMPLE_RECORD.attributes));
    expect(keysOf(record.messageAttributes.kind ?? {})).toEqual(
      keysOf(AWS_EXAMPLE_RECORD.messageAttributes.myAttribute),
    );
    expect(record).toMatchObject({
      body,
      md5OfBody: createHash('md5').update(body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: standard.arn,
      awsRegion: REGION,
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {
        kind: {
          stringValue: 'spin',
          stringListValues: [],
          binaryListValues: [],
          dataType: 'String',
        },
        amount: { stringValue: '42', dataType: 'Number' },
        blob: { binaryValue: Buffer.from('slots').toString('base64'), dataType: 'Binary' },
      },
    });
    expect(md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
  });

  it('carries a FIFO message its sequence number, group and deduplication id', async () => {
    const { event, record } = await deliveredRecord(
      'fifo',
      new SendMessageCommand({
        QueueUrl: queueUrlFor(messaging.endpoint, FAUXQS_ACCOUNT_ID, fifo.name),
        MessageBody: 'credit',
        MessageGroupId: 'wallet-7',
        MessageDeduplicationId: 'spin-1',
      }),
    );

    expect(SqsSchema.safeParse(event).success).toBe(true);
    expect(record?.attributes).toMatchObject({
      MessageGroupId: 'wallet-7',
      MessageDeduplicationId: 'spin-1',
      SequenceNumber: expect.stringMatching(/^\d+$/),
    });
    expect(record?.md5OfMessageAttributes).toBeUndefined();
  });
});
