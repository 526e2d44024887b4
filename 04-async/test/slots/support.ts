import { fileURLToPath } from 'node:url';
import type {
  PublishBatchCommand,
  PublishBatchCommandOutput,
  PublishBatchRequestEntry,
} from '@aws-sdk/client-sns';
import { startTestDatabase } from '@course/local';
import { createLogger } from '@course/service-kit/core';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, vi } from 'vitest';
import type { EventPublisher } from '../../src/events/outbox.ts';
import { type AsyncSlotsDatabase, createDb } from '../../src/slots/database.ts';
import { type DatabaseForThisFile, databaseForThisFile } from '../fixtures.ts';

/** Stage 04's slots schema and migrations: stage 01's, the outbox and the leaderboard. */
export const slotsPrisma = {
  schemaPath: fileURLToPath(new URL('../../prisma/slots/schema.prisma', import.meta.url)),
  migrationsDir: fileURLToPath(new URL('../../prisma/slots/migrations', import.meta.url)),
};

export const silentLog = createLogger({ service: 'test', level: 'silent' });

/**
 * A fresh, migrated slots database for the tests of one file: on the real PostgreSQL server of
 * TEST_POSTGRES_URL when set, else embedded.
 */
export function slotsDatabaseForThisFile(name: string): DatabaseForThisFile<AsyncSlotsDatabase> {
  return databaseForThisFile(
    () => startTestDatabase({ ...slotsPrisma, name }),
    (url) => createDb(url, 10),
  );
}

/** A logger that keeps its lines, parsed, for a test to read. */
export function recordingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'test',
    level: 'debug',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { log, lines };
}

/** A player as a token names one. */
export function newPlayer(username = `p${crypto.randomUUID().slice(0, 8)}`) {
  return { id: crypto.randomUUID(), username };
}

/**
 * A fake SNS that records every PublishBatch and answers as `answer` says: by default it accepts
 * every entry; it can refuse some (`Failed`, SNS's fault unless `senderFault`) or throw (SNS
 * unreachable).
 */
export function recordingSns(
  answer: (
    entries: PublishBatchRequestEntry[],
  ) => { refuse?: string[]; senderFault?: boolean } | Error = () => ({}),
) {
  const batches: PublishBatchRequestEntry[][] = [];
  const sns: EventPublisher = {
    async send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput> {
      const entries = command.input.PublishBatchRequestEntries ?? [];
      batches.push(entries);
      const decision = answer(entries);
      if (decision instanceof Error) throw decision;
      const refused = new Set(decision.refuse ?? []);
      return {
        $metadata: {},
        Successful: entries
          .filter((entry) => !refused.has(entry.Id ?? ''))
          .map((entry) => ({ Id: entry.Id, MessageId: crypto.randomUUID() })),
        Failed: entries
          .filter((entry) => refused.has(entry.Id ?? ''))
          .map((entry) => ({
            Id: entry.Id,
            Code: decision.senderFault ? 'InvalidParameter' : 'InternalError',
            Message: 'refused by the test',
            SenderFault: decision.senderFault ?? false,
          })),
      };
    },
  };
  return { sns, batches };
}

export { sqsRecord } from '../fixtures.ts';

/** What fauxqs accepts (it checks no signature), and the only account it knows. */
export const localAws = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  accountId: '000000000000',
} as const;

/**
 * SNS and SQS served by fauxqs on 127.0.0.1 for the tests of one file. `subscribedQueue` makes a
 * topic with a queue subscribed by raw delivery, as the stage's CDK app makes them.
 */
export function fauxqsForThisFile() {
  let server: FauxqsServer | undefined;
  beforeAll(async () => {
    server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const current = (): FauxqsServer => {
    if (!server) throw new Error('fauxqs starts in beforeAll: use it inside a test');
    return server;
  };
  return {
    get server() {
      return current();
    },
    get endpoint() {
      return `http://127.0.0.1:${current().port}`;
    },
    subscribedQueue(topic: string, queue: string) {
      const { topicArn } = current().createTopic(topic);
      current().createQueue(queue);
      current().subscribe({ topic, queue, attributes: { RawMessageDelivery: 'true' } });
      return { topicArn, queueUrl: `${this.endpoint}/${localAws.accountId}/${queue}` };
    },
  };
}

/**
 * The environment a stage-04 slots function reads at init, as the local AWS runtime sets it (and
 * Lambda the region), stubbed for a test file that imports the functions.
 */
export function stubFunctionEnvironment({
  databaseUrl,
  jwksUrl,
  topicArn,
  snsEndpoint,
}: {
  databaseUrl: string;
  jwksUrl: string;
  topicArn: string;
  snsEndpoint: string;
}): void {
  vi.stubEnv('DATABASE_URL', databaseUrl);
  vi.stubEnv('JWKS_URL', jwksUrl);
  vi.stubEnv('LOG_LEVEL', 'silent');
  vi.stubEnv('EVENTS_TOPIC_ARN', topicArn);
  vi.stubEnv('AWS_ENDPOINT_URL_SNS', snsEndpoint);
  vi.stubEnv('AWS_REGION', localAws.region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', localAws.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', localAws.credentials.secretAccessKey);
}
