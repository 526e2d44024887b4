import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SqsSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import { type DomainEvent, messageAttributesOf, type SpinSettled } from '@course/contract/events';
import { startTestDatabase, type TestDatabase } from '@course/local';
import type { SQSEvent } from 'aws-lambda';

/** A settled spin as slots publishes it; a big win (20 × the bet) unless told otherwise. */
export function spinSettled(data: Partial<SpinSettled['data']> = {}): SpinSettled {
  return {
    id: randomUUID(),
    type: 'SpinSettled',
    version: 1,
    source: 'slots',
    time: '2026-12-06T10:15:00.000Z',
    traceId: `req-${randomUUID()}`,
    data: {
      playerId: randomUUID(),
      username: 'alice',
      sequence: 7,
      spinId: randomUUID(),
      bet: 10,
      payout: 200,
      balance: 1190,
      reels: ['robot', 'robot', 'robot'],
      line: 'Three robots',
      ...data,
    },
  };
}

/**
 * An SQS event as a Lambda event source mapping delivers it, one record per body (raw SNS
 * delivery: the body is the envelope's JSON), checked against Powertools' schema of SQS events.
 */
export function sqsEventOf(bodies: string[], events: (DomainEvent | undefined)[] = []): SQSEvent {
  const event: SQSEvent = {
    Records: bodies.map((body, index) => {
      const attributes = events[index] ? messageAttributesOf(events[index]) : {};
      return {
        messageId: randomUUID(),
        receiptHandle: `handle-${index}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '1765016100000',
          SenderId: 'AIDAEXAMPLE',
          ApproximateFirstReceiveTimestamp: '1765016100001',
        },
        messageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, { DataType, StringValue }]) => [
            name,
            {
              dataType: DataType,
              stringValue: StringValue,
              stringListValues: [],
              binaryListValues: [],
            },
          ]),
        ),
        md5OfBody: '0'.repeat(32),
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:AuditQueue',
        awsRegion: 'us-east-1',
      };
    }),
  };
  SqsSchema.parse(event);
  return event;
}

/** A fresh forum database with this stage's migrations (stage 02's and the announcements). */
export function startForumTestDatabase(): Promise<TestDatabase> {
  const prismaDir = new URL('../prisma/forum/', import.meta.url);
  return startTestDatabase({
    name: 'forum_test',
    schemaPath: fileURLToPath(new URL('schema.prisma', prismaDir)),
    migrationsDir: fileURLToPath(new URL('migrations', prismaDir)),
  });
}
