/*
 * Stage 04 started for the tests of one file, and what the end-to-end tests need to look inside
 * it: the SDK clients of its local AWS, the queues by logical id, the fault switches, and "the
 * pipeline has settled" (every event published, every queue empty, nothing moving).
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, type QueueAttributeName, SQSClient } from '@aws-sdk/client-sqs';
import type { FaultSwitches } from '@course/aws-local';
import { createHarness } from '@course/contract';
import { databaseUrlVariable, startTestDatabase, type TestDatabase } from '@course/local';
import {
  type StageForTests,
  type StageForTestsOptions,
  serverlessStageForThisFile,
} from '@course/serverless/test/support';
import pg from 'pg';
import { afterAll } from 'vitest';
import { LOGICAL_IDS } from '../cdk/logical-ids.ts';
import { TITLES } from '../src/purchases/catalog.ts';
import stage from '../stage.ts';

/** The consumers' queues and their dead-letter queues, by logical id. */
export const QUEUES = {
  leaderboard: LOGICAL_IDS.leaderboardQueue,
  jackpot: LOGICAL_IDS.jackpotQueue,
  audit: LOGICAL_IDS.auditQueue,
} as const;
export const DEAD_LETTER_QUEUES = {
  leaderboard: LOGICAL_IDS.leaderboardDeadLetterQueue,
  jackpot: LOGICAL_IDS.jackpotDeadLetterQueue,
  audit: LOGICAL_IDS.auditDeadLetterQueue,
} as const;

/** The purchase saga's step functions, by step name (their logical ids). */
export const STEP_FUNCTIONS = {
  debit: LOGICAL_IDS.debitFunction,
  grant: LOGICAL_IDS.grantFunction,
  cancelGrant: LOGICAL_IDS.cancelGrantFunction,
  refund: LOGICAL_IDS.refundFunction,
} as const;
export type SagaStep = keyof typeof STEP_FUNCTIONS;

/** How a step's function misbehaves: failing before its handler runs, or losing its answer after. */
export type StepFaults = Pick<FaultSwitches, 'fail' | 'crashAfterEffect'>;

export interface AsyncStageForTests extends StageForTests {
  /** SQS, S3 and Step Functions clients of the stage's local AWS. */
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  /** The purchase saga's ARN (what the purchases function starts). */
  readonly sagaArn: string;
  /** A queue's URL by logical id. */
  queueUrl(logicalId: string): string;
  /** Sets the switches of a queue (by logical id), or of the events topic; {} turns them off. */
  setFaults(target: keyof typeof QUEUES | 'topic', switches: FaultSwitches): void;
  /** Sets the faults of a saga step's function; {} turns them off. */
  setStepFaults(step: SagaStep, faults: StepFaults): void;
  /** Turns every fault switch off (queues, topic and the saga's functions). */
  clearFaults(): void;
  /** One SQL query on one of the stage's databases. */
  query<Row>(database: 'slots' | 'forum', sql: string, values?: unknown[]): Promise<Row[]>;
}

/**
 * Stage 04 for the tests of one file. With TEST_POSTGRES_URL set, its slots and forum databases
 * live on that real PostgreSQL server (fresh ones, dropped after the file), so concurrent spins
 * and deliveries really run in parallel transactions; otherwise embedded, as `pnpm start 04`.
 */
export function asyncStageForThisFile(
  options: Pick<StageForTestsOptions, 'localAws'> = {},
): AsyncStageForTests {
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  const onServer: TestDatabase[] = [];
  const running = serverlessStageForThisFile(stage, {
    ...options,
    env,
    beforeStart: async () => {
      if (!process.env.TEST_POSTGRES_URL) return;
      for (const name of ['slots', 'forum'] as const) {
        const database = stage.databases.find((candidate) => candidate.name === name);
        if (!database) throw new Error(`stage 04 has no ${name} database`);
        const created = await startTestDatabase({ ...database, name: `${name}_async_test` });
        onServer.push(created);
        env[databaseUrlVariable(name)] = created.url;
      }
    },
  });
  let clients: { sqs: SQSClient; s3: S3Client; sfn: SFNClient } | undefined;
  const pools = new Map<string, pg.Pool>();
  afterAll(async () => {
    clients?.sqs.destroy();
    clients?.s3.destroy();
    clients?.sfn.destroy();
    for (const pool of pools.values()) await pool.end();
    for (const database of onServer) await database.stop();
  });
  const sdk = () => {
    if (!clients) {
      const { endpoints, model } = running.localAws;
      const common = {
        endpoint: endpoints.messaging,
        region: model.region,
        // fauxqs checks no signature, but the SDK signs every request.
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      };
      clients = {
        sqs: new SQSClient(common),
        s3: new S3Client({ ...common, forcePathStyle: true }),
        sfn: new SFNClient({ ...common, endpoint: running.localAws.stepFunctionsUrl }),
      };
    }
    return clients;
  };
  const queueUrl = (logicalId: string): string => {
    const url = running.context.queueUrls[logicalId];
    if (!url) throw new Error(`stage 04 has no queue ${logicalId}`);
    return url;
  };
  const queueName = (logicalId: string): string => queueUrl(logicalId).split('/').at(-1) ?? '';
  const topicName = (): string => {
    const topic = running.localAws.model.topics.find(
      (candidate) => candidate.logicalId === LOGICAL_IDS.eventsTopic,
    );
    if (!topic) throw new Error('stage 04 has no events topic');
    return topic.name;
  };
  const target = (name: keyof typeof QUEUES | 'topic') =>
    name === 'topic' ? topicName() : queueName(QUEUES[name]);
  return {
    get url() {
      return running.url;
    },
    get processUrls() {
      return running.processUrls;
    },
    get context() {
      return running.context;
    },
    get localAws() {
      return running.localAws;
    },
    log: running.log,
    get sqs() {
      return sdk().sqs;
    },
    get s3() {
      return sdk().s3;
    },
    get sfn() {
      return sdk().sfn;
    },
    get sagaArn() {
      const arn = running.localAws.stateMachineArns[LOGICAL_IDS.purchaseSaga];
      if (!arn) throw new Error('stage 04 has no purchase saga');
      return arn;
    },
    queueUrl,
    setFaults(name: keyof typeof QUEUES | 'topic', switches: FaultSwitches) {
      running.localAws.messaging.faults.set(target(name), switches);
    },
    setStepFaults(step: SagaStep, faults: StepFaults) {
      running.localAws.messaging.faults.set(STEP_FUNCTIONS[step], faults);
    },
    clearFaults() {
      for (const name of [...Object.keys(QUEUES), 'topic'] as const) {
        running.localAws.messaging.faults.set(target(name as keyof typeof QUEUES | 'topic'), {});
      }
      for (const id of Object.values(STEP_FUNCTIONS)) running.localAws.messaging.faults.set(id, {});
    },
    async query<Row>(database: 'slots' | 'forum', sql: string, values: unknown[] = []) {
      let pool = pools.get(database);
      if (!pool) {
        pool = new pg.Pool({ connectionString: running.context.databaseUrls[database], max: 2 });
        pools.set(database, pool);
      }
      return (await pool.query(sql, values)).rows as Row[];
    },
  };
}

const QUEUE_DEPTH: QueueAttributeName[] = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
];

/** Messages waiting, in flight and delayed on a queue. */
export async function queueDepth(stage: AsyncStageForTests, logicalId: string): Promise<number> {
  const { Attributes = {} } = await stage.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stage.queueUrl(logicalId),
      AttributeNames: QUEUE_DEPTH,
    }),
  );
  return QUEUE_DEPTH.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
}

/** Every object key of the audit log. */
export async function auditKeys(stage: AsyncStageForTests): Promise<string[]> {
  const bucket = stage.context.bucketNames[LOGICAL_IDS.auditBucket];
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await stage.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Waits until the pipeline has settled: no outbox row unpublished, every queue (and dead-letter
 * queue) empty with nothing in flight, and the consumers' effects unchanged for `quietMs`.
 * Throws, saying what was still moving, after `deadlineMs`.
 */
export async function waitUntilSettled(
  stage: AsyncStageForTests,
  { deadlineMs = 60_000, quietMs = 1_500 } = {},
): Promise<void> {
  const started = Date.now();
  let last = '';
  let stableSince = Date.now();
  for (;;) {
    const [outbox] = await stage.query<{ unpublished: string }>(
      'slots',
      'SELECT count(*) FILTER (WHERE published_at IS NULL) AS unpublished FROM outbox',
    );
    const depths = await Promise.all(
      [...Object.values(QUEUES)].map(async (id) => `${id}=${await queueDepth(stage, id)}`),
    );
    const [effects] = await stage.query<{ rows: string; sequences: string }>(
      'slots',
      'SELECT count(*) AS rows, coalesce(sum(sequence), 0) AS sequences FROM leaderboard_entries',
    );
    const [posts] = await stage.query<{ count: string }>(
      'forum',
      'SELECT count(*) FROM announcements',
    );
    const audited = (await auditKeys(stage)).length;
    const moving = Number(outbox?.unpublished) > 0 || depths.some((depth) => !depth.endsWith('=0'));
    const state =
      `unpublished=${outbox?.unpublished} ${depths.join(' ')} ` +
      `projection=${effects?.rows}/${effects?.sequences} announcements=${posts?.count} audited=${audited}`;
    if (state !== last || moving) {
      last = state;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      return;
    }
    if (Date.now() - started > deadlineMs) {
      throw new Error(`the pipeline did not settle within ${deadlineMs} ms: ${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Starts the purchase saga for a purchase, as the purchases function does, under the purchase's
 * own name by default; a replay gives another name (the same input: the steps find the rest in
 * the record). Rejects as StartExecution does (ExecutionAlreadyExists for a name already used).
 */
export async function startSaga(
  stage: AsyncStageForTests,
  purchaseId: string,
  name = purchaseId,
): Promise<void> {
  await stage.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: stage.sagaArn,
      name,
      input: JSON.stringify({ purchaseId }),
    }),
  );
}

/**
 * Waits until every purchase saga has ended — no execution RUNNING (ListExecutions, paged) and no
 * purchase record `running` — then until the event pipeline has settled (waitUntilSettled), so
 * that the debits' and refunds' events have reached every consumer too. Throws, saying what was
 * still running, after `deadlineMs`.
 */
export async function waitUntilPurchasesEnded(
  stage: AsyncStageForTests,
  { deadlineMs = 60_000 } = {},
): Promise<void> {
  let running: string[] = [];
  const ended = async (): Promise<boolean> => {
    running = [];
    let nextToken: string | undefined;
    do {
      const page = await stage.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: stage.sagaArn,
          statusFilter: 'RUNNING',
          nextToken,
        }),
      );
      for (const execution of page.executions ?? []) running.push(`execution ${execution.name}`);
      nextToken = page.nextToken;
    } while (nextToken);
    const records = await stage.query<{ id: string }>(
      'slots',
      `SELECT id::text FROM purchases WHERE status = 'running'`,
    );
    for (const { id } of records) running.push(`purchase ${id}`);
    return running.length === 0;
  };
  const started = Date.now();
  while (!(await ended())) {
    if (Date.now() - started > deadlineMs) {
      throw new Error(`still running after ${deadlineMs} ms: ${running.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await waitUntilSettled(stage, {
    deadlineMs: Math.max(deadlineMs - (Date.now() - started), 15_000),
  });
}

/** A JSON log line of one of the stage's functions (the functions log with pino). */
export interface FunctionLogLine {
  msg: string;
  eventId?: string;
  traceId?: string;
  by?: string;
  receiveCount?: number;
  applied?: boolean;
}

/** The JSON lines a function (by logical id) has logged so far. */
export function functionLog(stage: AsyncStageForTests, logicalId: string): FunctionLogLine[] {
  const prefix = `[${stage.localAws.model.stackName}-${logicalId}] {`;
  return stage.log
    .filter((line) => line.startsWith(prefix))
    .map((line) => JSON.parse(line.slice(prefix.length - 1)) as FunctionLogLine);
}

/** Polls `check` until it returns true; throws with `what` after `deadlineMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  deadlineMs = 60_000,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > deadlineMs) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Warms the functions a purchase goes through, so that no test meets a cold start under a shrunk
 * time scale (API Gateway's 30 s timeout becomes 3 s at 0.1, which a first invocation on a busy
 * machine can exceed: the gateway answers 503). A player's wallet is read until it answers 200,
 * then a purchase of the cheapest title is sent until it is answered 202 (with one Idempotency-Key,
 * so a retry starts nothing new) and runs to its end: the purchases, debit and grant functions.
 * Plain fetch, not the contract's harness: a gateway's own 503 is not the contract's to check.
 */
export async function warmUpPurchases(stage: AsyncStageForTests, tries = 8): Promise<void> {
  const player = await createHarness(() => stage.url).newPlayer();
  const headers = {
    authorization: `Bearer ${player.token}`,
    'content-type': 'application/json',
    'idempotency-key': `warm-up-${player.id}`,
  };
  const untilAnswered = async (status: number, request: () => Promise<Response>) => {
    for (let attempt = 1; ; attempt++) {
      const response = await request();
      if (response.status === status) return;
      if (attempt === tries) {
        throw new Error(
          `warming up: ${response.status} ${await response.text()} after ${tries} tries`,
        );
      }
    }
  };
  await untilAnswered(200, () => fetch(new URL('/api/slots/wallet', stage.url), { headers }));
  await untilAnswered(202, () =>
    fetch(new URL('/api/slots/purchases', stage.url), {
      method: 'POST',
      headers,
      body: JSON.stringify({ titleId: TITLES[0].id }),
    }),
  );
  await waitUntilPurchasesEnded(stage);
}
