import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SqsRecordSchema, SqsSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import {
  type DomainEvent,
  type MessageAttribute,
  messageAttributesOf,
  type SpinSettled,
} from '@course/contract/events';
import { startTestDatabase, type TestDatabase } from '@course/local';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import { type AsyncForumDatabase, createAsyncForumDb } from '../src/forum/db.ts';

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
 * One record of an SQS event as a Lambda event source mapping delivers it (raw SNS delivery: the
 * body is the envelope's JSON, the publisher's message attributes beside it), checked against
 * Powertools' schema. An attribute given as a plain string is a String attribute.
 */
export function sqsRecord(
  body: string,
  attributes: Record<string, string | MessageAttribute> = {},
  queue = 'LeaderboardQueue',
): SQSRecord {
  const now = String(Date.now());
  const record: SQSRecord = {
    messageId: randomUUID(),
    receiptHandle: `receipt-${randomUUID()}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: now,
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => {
        const { DataType, StringValue } =
          typeof value === 'string' ? { DataType: 'String', StringValue: value } : value;
        return [
          name,
          {
            dataType: DataType,
            stringValue: StringValue,
            stringListValues: [],
            binaryListValues: [],
          },
        ];
      }),
    ),
    md5OfBody: 'not-checked-by-the-functions',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queue}`,
    awsRegion: 'us-east-1',
  };
  SqsRecordSchema.parse(record);
  return record;
}

/** An SQS event of the audit queue, one record per body, each with its event's attributes. */
export function sqsEventOf(bodies: string[], events: (DomainEvent | undefined)[] = []): SQSEvent {
  const Records = bodies.map((body, index) => {
    const event = events[index];
    return sqsRecord(body, event ? messageAttributesOf(event) : {}, 'AuditQueue');
  });
  const event: SQSEvent = { Records };
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

/** A fresh forum database for the tests of one file, with stage 04's client over it. */
export function forumDatabaseForThisFile(poolMax = 8): DatabaseForThisFile<AsyncForumDatabase> {
  return databaseForThisFile(startForumTestDatabase, (url) => createAsyncForumDb(url, poolMax));
}

/** A database of the tests of one file and a client over it: both usable inside its tests. */
export interface DatabaseForThisFile<Db> {
  readonly db: Db;
  readonly url: string;
}

/**
 * Starts a database before the file's tests (`start`) with a client over it (`connect`), and
 * stops both after them.
 */
export function databaseForThisFile<Db extends { $disconnect(): Promise<void> }>(
  start: () => Promise<TestDatabase>,
  connect: (url: string) => Db,
): DatabaseForThisFile<Db> {
  let database: TestDatabase | undefined;
  let db: Db | undefined;
  beforeAll(async () => {
    database = await start();
    db = connect(database.url);
  }, 120_000);
  afterAll(async () => {
    await db?.$disconnect();
    await database?.stop();
  });
  return {
    get db() {
      if (!db) throw new Error('the database starts in beforeAll: use it inside a test');
      return db;
    },
    get url() {
      if (!database) throw new Error('the database starts in beforeAll: use it inside a test');
      return database.url;
    },
  };
}
