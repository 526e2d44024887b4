import { CreateTopicCommand, ListTopicsCommand, PublishCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { startMessaging } from '../src/messaging/index.ts';
import {
  FAUXQS_ACCOUNT_ID,
  queueArnFor,
  queueUrlFor,
  topicArnFor,
} from '../src/messaging/names.ts';
import { openMessagingServer } from '../src/messaging/server.ts';
import { LocalAwsError, type LocalSubscription } from '../src/model.ts';
import {
  aModel,
  aQueue,
  aTopic,
  REGION,
  StubInvoker,
  startModel,
  stopStarted,
} from './messaging-fixture.ts';

afterEach(stopStarted);

function subscription(
  topic: ReturnType<typeof aTopic>,
  queue: ReturnType<typeof aQueue>,
  overrides: Partial<LocalSubscription> = {},
): LocalSubscription {
  return {
    logicalId: `${queue.logicalId}Subscription`,
    topicArn: topic.arn,
    protocol: 'sqs',
    endpoint: queue.arn,
    rawMessageDelivery: true,
    filterPolicyScope: 'MessageAttributes',
    ...overrides,
  };
}

const start = (model: ReturnType<typeof aModel>, timeScale = 1) =>
  startModel(model, new StubInvoker({}), timeScale);

describe('the names the model resolves to', () => {
  it('are the URL and ARNs fauxqs serves, so a resolved Ref reaches the queue', async () => {
    const { sqs, sns, endpoint } = await start(
      aModel({ queues: [aQueue('orders')], topics: [aTopic('events')] }),
    );

    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }));
    const { QueueUrls } = await sqs.send(new ListQueuesCommand({}));
    const created = await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const { Topics } = await sns.send(new ListTopicsCommand({}));

    const expectedUrl = queueUrlFor(endpoint, FAUXQS_ACCOUNT_ID, 'orders');
    expect(expectedUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/000000000000\/orders$/);
    expect(QueueUrl).toBe(expectedUrl);
    expect(QueueUrls).toEqual([expectedUrl]);
    expect(created.QueueUrl).toBe(expectedUrl);
    expect(Attributes?.QueueArn).toBe(queueArnFor(REGION, FAUXQS_ACCOUNT_ID, 'orders'));
    expect(Topics?.map((t) => t.TopicArn)).toEqual([
      topicArnFor(REGION, FAUXQS_ACCOUNT_ID, 'events'),
    ]);
  });

  it('are known before fauxqs starts: the endpoint alone decides the URL', async () => {
    const server = await openMessagingServer({ port: 0 });
    try {
      const { sqs } = server.client(REGION);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'later' }));
      expect(QueueUrl).toBe(queueUrlFor(server.endpoint, FAUXQS_ACCOUNT_ID, 'later'));
      expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
    } finally {
      await server.close();
    }
  });
});

describe('topics and subscriptions', () => {
  it('deliver only the messages the filter policy matches, raw, body unchanged', async () => {
    const topic = aTopic('events');
    const queue = aQueue('jackpots');
    const { sqs, sns, endpoint } = await start(
      aModel({
        queues: [queue],
        topics: [topic],
        subscriptions: [subscription(topic, queue, { filterPolicy: { kind: ['jackpot'] } })],
      }),
    );
    const body = JSON.stringify({ player: 'ada', win: 500 });

    await sns.send(
      new PublishCommand({
        TopicArn: topic.arn,
        Message: 'ignored',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'spin' } },
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn: topic.arn,
        Message: body,
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'jackpot' } },
      }),
    );
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrlFor(endpoint, FAUXQS_ACCOUNT_ID, queue.name),
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );

    expect(Messages?.map((m) => m.Body)).toEqual([body]);
  });

  it('filter on the message body when the scope says MessageBody, and wrap in the SNS envelope without raw delivery', async () => {
    const topic = aTopic('events');
    const queue = aQueue('audit');
    const { sqs, sns, endpoint } = await start(
      aModel({
        queues: [queue],
        topics: [topic],
        subscriptions: [
          subscription(topic, queue, {
            rawMessageDelivery: false,
            filterPolicyScope: 'MessageBody',
            filterPolicy: { type: ['spin'] },
          }),
        ],
      }),
    );

    await sns.send(
      new PublishCommand({ TopicArn: topic.arn, Message: JSON.stringify({ type: 'post' }) }),
    );
    await sns.send(
      new PublishCommand({ TopicArn: topic.arn, Message: JSON.stringify({ type: 'spin' }) }),
    );
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrlFor(endpoint, FAUXQS_ACCOUNT_ID, queue.name),
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );

    expect(Messages).toHaveLength(1);
    const envelope = JSON.parse(Messages?.[0]?.Body ?? '{}');
    expect(envelope).toMatchObject({ Type: 'Notification', TopicArn: topic.arn });
    expect(JSON.parse(envelope.Message)).toEqual({ type: 'spin' });
  });
});

describe('queues', () => {
  it('are created with their durations scaled to whole seconds, a FIFO queue as FIFO, a redrive policy to its DLQ', async () => {
    const dlq = aQueue('orders-dlq');
    const orders = aQueue('orders', {
      visibilityTimeoutSeconds: 30,
      delaySeconds: 5,
      redrivePolicy: { deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 },
    });
    const fifo = aQueue('ledger.fifo', { contentBasedDeduplication: true });
    // The DLQ comes after its source in the model: creation must reorder.
    const { sqs, endpoint, lines } = await start(aModel({ queues: [orders, fifo, dlq] }), 0.01);
    const attributes = async (name: string) =>
      (
        await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrlFor(endpoint, FAUXQS_ACCOUNT_ID, name),
            AttributeNames: ['All'],
          }),
        )
      ).Attributes ?? {};

    const ordersAttributes = await attributes('orders');
    const fifoAttributes = await attributes('ledger.fifo');

    expect(ordersAttributes.VisibilityTimeout).toBe('1');
    expect(ordersAttributes.DelaySeconds).toBe('1');
    expect(JSON.parse(ordersAttributes.RedrivePolicy ?? '{}')).toMatchObject({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: 3,
    });
    expect(fifoAttributes).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    expect(lines.some((line) => line.includes('time scale 0.01'))).toBe(true);
  });

  it('accept a message sent with the SDK to the URL the model resolved', async () => {
    const { sqs, endpoint } = await start(aModel({ queues: [aQueue('orders')] }));
    const QueueUrl = queueUrlFor(endpoint, FAUXQS_ACCOUNT_ID, 'orders');

    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }),
    );

    expect(Messages?.[0]?.Body).toBe('hello');
  });
});

describe('a model the messaging cannot serve', () => {
  it('fails the start naming the queue whose dead-letter queue is not in the app', async () => {
    const orphan = aQueue('orders', {
      redrivePolicy: {
        deadLetterTargetArn: queueArnFor(REGION, FAUXQS_ACCOUNT_ID, 'gone'),
        maxReceiveCount: 2,
      },
    });

    const started = startMessaging(aModel({ queues: [orphan] }), {
      invoker: new StubInvoker({}),
      timeScale: 1,
      log: () => {},
    });

    await expect(started).rejects.toThrow(LocalAwsError);
    await expect(started).rejects.toMatchObject({ logicalId: 'orders', property: 'RedrivePolicy' });
  });

  it('fails the start when the model names another account than the local one', async () => {
    const started = startMessaging(aModel({ accountId: '123456789012' }), {
      invoker: new StubInvoker({}),
      timeScale: 1,
      log: () => {},
    });

    await expect(started).rejects.toThrow(/fauxqs serves only account 000000000000/);
  });

  it.each([
    ['a body that is not JSON', '{not json'],
    ['a field of the wrong type', '{"QueueUrl": 5, "MessageBody": "x"}'],
  ])(
    'answers an SQS request with %s in SQS error shape (400), and keeps serving',
    async (_, body) => {
      const { sqs, endpoint } = await start(aModel({ queues: [aQueue('orders')] }));

      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'AmazonSQS.SendMessage',
        },
        body,
      });
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }));

      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        __type: 'com.amazon.coral.service#SerializationException',
      });
      expect(QueueUrl).toBeDefined();
    },
  );
});

describe('the SNS endpoint', () => {
  it('is the same fauxqs URL as SQS', async () => {
    const { sns } = await start(aModel({}));

    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'adhoc' }));

    expect(TopicArn).toBe(topicArnFor(REGION, FAUXQS_ACCOUNT_ID, 'adhoc'));
  });
});
