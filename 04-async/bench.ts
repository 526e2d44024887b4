import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  freePort,
  type LoadOptions,
  quietAndUnthrottled,
  type RunningStage,
  signUpPlayer,
  startStage,
} from '@course/local';
import { createLogger } from '@course/service-kit/core';
import pg from 'pg';
import { LOGICAL_IDS } from './cdk/logical-ids.ts';
import { outboxRelay } from './src/events/outbox.ts';
import { findTitle } from './src/purchases/catalog.ts';
import { executionArnOf, readHistory, stateTransitions } from './src/purchases/saga-executions.ts';
import { createDb } from './src/slots/database.ts';
import stage04 from './stage.ts';

/*
 * Stage 04's benchmark: how long an event takes from the spin that caused it to the leaderboard
 * read model, and how many events a second the pipeline sustains (relay → SNS → SQS → projector
 * and audit function, batches of up to ten), beside what the same local SQS (fauxqs) moves on
 * its own in the same run. Local figures: the local AWS runtime on this machine, not AWS.
 *
 * Beside them, the purchase saga: how long a purchase of a title takes from its request to its
 * record's end (Debit and Grant, each a function the state machine invokes), and how many state
 * transitions each purchase costs (what a Standard workflow is billed for), counted from the
 * executions' histories.
 *
 * The projection and the purchases are observed by polling the slots database
 * (context.databaseUrls.slots) every POLL_MS: a figure includes up to that much polling delay.
 * `--duration` and `--connections` do not apply; the counts below size the run.
 */

const LATENCY_SPINS = 100;
const BURST_SPINS = 400;
const BURST_CONCURRENCY = 10;
const PLAYERS = 20;
const RAW_MESSAGES = 2_000;
const POLL_MS = 5;
/** The tasks of a completed purchase, each timed from its history. */
const TIMED_TASKS = ['Debit', 'Grant', 'Complete'] as const;
const isTimedTask = (state: string): state is (typeof TIMED_TASKS)[number] =>
  (TIMED_TASKS as readonly string[]).includes(state);

/** Purchases timed one at a time, each by a fresh player (a player holds a title once). */
const PURCHASES = 50;
const PURCHASED_TITLE = 'lucky-seven';
/** Step Functions' price of a Standard workflow's state transition, us-east-1. */
const DOLLARS_PER_TRANSITION = 0.025 / 1000;

export default async function bench(_load: LoadOptions): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-04-'));
  let running: RunningStage | undefined;
  let pool: pg.Pool | undefined;
  try {
    running = await startStage(quietAndUnthrottled(stage04), {
      publicPort: await freePort(),
      dataDir,
      log: () => {},
    });
    pool = new pg.Pool({ connectionString: running.context.databaseUrls.slots, max: 4 });
    const url = running.url;
    const tokens: string[] = [];
    for (let i = 0; i < PLAYERS; i++) tokens.push(await signUpPlayer(url, `bench_${i}`));
    const spin = async (token: string) => {
      const response = await fetch(`${url}/api/slots/spins`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ bet: 1 }),
      });
      if (response.status !== 201) throw new Error(`a spin answered ${response.status}`);
      return (await response.json()) as { id: string };
    };
    // Every player's wallet opened and each function warm before anything is timed.
    await Promise.all(tokens.map(spin));
    await waitForProjection(pool);

    // Spin → leaderboard: one spin at a time, timed from the request and from the response (the
    // write function publishes before it answers, so the projection may be there already).
    const fromRequest: number[] = [];
    const fromResponse: number[] = [];
    for (let i = 0; i < LATENCY_SPINS; i++) {
      const sent = performance.now();
      const { id } = await spin(tokens[i % PLAYERS] ?? '');
      const answered = performance.now();
      const { position, playerId } = await outboxRowOf(pool, id);
      for (;;) {
        const { rows } = await pool.query<{ sequence: string }>(
          'SELECT sequence FROM leaderboard_entries WHERE player_id = $1::uuid',
          [playerId],
        );
        if (BigInt(rows[0]?.sequence ?? 0) >= position) break;
        await sleep(POLL_MS);
      }
      const seen = performance.now();
      fromRequest.push(seen - sent);
      fromResponse.push(seen - answered);
    }

    // The pipeline's sustained rate, apart from the spins that feed it: a burst of spins while
    // SNS refuses (the events wait in the outbox), then the backlog published at once by the
    // relay's own code (PublishBatch of ten, four relays at once), timed until every event is
    // projected and audited. The sweeper may publish some of them too: copies change nothing.
    const localAws = running.localAws;
    if (!localAws) throw new Error('stage 04 serves its CDK app locally');
    const topic = localAws.model.topics[0];
    if (!topic) throw new Error('stage 04 has no topic');
    localAws.messaging.faults.set(topic.name, { refusePublish: 1 });
    const burstStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: BURST_CONCURRENCY }, async () => {
        while (next < BURST_SPINS) {
          next += 1;
          await spin(tokens[next % PLAYERS] ?? '');
        }
      }),
    );
    const spinRate = BURST_SPINS / ((performance.now() - burstStart) / 1000);
    localAws.messaging.faults.set(topic.name, {});
    const { rows: backlog } = await pool.query<{ id: string }>(
      'SELECT id FROM outbox WHERE published_at IS NULL ORDER BY position',
    );
    const total = (await counts(pool)).events;
    const publishStart = performance.now();
    await publishAll(
      running,
      topic.arn,
      backlog.map((row) => row.id),
    );
    const published = performance.now();
    await waitForProjection(pool);
    const projected = performance.now();
    await waitForAudit(running, total);
    const audited = performance.now();

    // The same fauxqs, through the SDK: send, then receive and delete, in batches of ten.
    const raw = await rawQueueRate(running);

    // The saga, with the pipeline settled: purchases one at a time, after one that warms the
    // purchases function and every step on the completed path.
    const buyers: string[] = [];
    for (let i = 0; i <= PURCHASES; i++) buyers.push(await signUpPlayer(url, `bench_buyer_${i}`));
    await timePurchase(url, pool, buyers[PURCHASES] ?? '');
    const purchases: TimedPurchase[] = [];
    for (const token of buyers.slice(0, PURCHASES)) {
      purchases.push(await timePurchase(url, pool, token));
    }
    const saga = await sagaFigures(running, purchases);

    const rate = (ms: number) => backlog.length / (ms / 1000);
    const pipelineRate = rate(projected - publishStart);
    print(
      `\nStage 04, ${PLAYERS} players, the local AWS at time scale 1. Spin → leaderboard latency ` +
        `over ${LATENCY_SPINS} spins one at a time (the projection polled every ${POLL_MS} ms):`,
    );
    for (const [name, values] of [
      ["from the spin's request", fromRequest],
      ["from the spin's response", fromResponse],
    ] as const) {
      print(
        `  ${name.padEnd(26)} p50 ${percentile(values, 50).toFixed(1)} ms, ` +
          `p99 ${percentile(values, 99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`,
      );
    }
    print(
      `\nA backlog of ${backlog.length} events (${BURST_SPINS} spins at ${spinRate.toFixed(0)}/s, ` +
        `${BURST_CONCURRENCY} at once, held in the outbox), published at once; the raw rate of ` +
        `the same fauxqs (${RAW_MESSAGES} messages):`,
    );
    for (const [name, value] of [
      ['backlog published (the relay, PublishBatch of 10)', rate(published - publishStart)],
      ['backlog projected (leaderboard)', pipelineRate],
      ['backlog audited (S3 objects)', rate(audited - publishStart)],
      ['raw fauxqs SendMessageBatch', raw.send],
      ['raw fauxqs Receive + DeleteMessageBatch', raw.receive],
    ] as const) {
      print(`  ${name.padEnd(50)} ${value.toFixed(0).padStart(6)} events/s`);
    }
    print(
      `\nThe projection sustains ${(pipelineRate / raw.receive).toFixed(2)}× the raw ` +
        `receive+delete rate of its own queue service, and ${(pipelineRate / spinRate).toFixed(1)}× ` +
        'the rate the spins produced events here.',
    );
    const title = findTitle(PURCHASED_TITLE);
    print(
      `\nThe purchase saga: ${PURCHASES} purchases of ${title?.name} (${title?.price} credits), ` +
        'each by a fresh player, one at a time, warm; until the record ended (polled every ' +
        `${POLL_MS} ms); they ended ${saga.statuses}:`,
    );
    for (const [name, values] of [
      ["from the purchase's request", purchases.map((p) => p.fromRequest)],
      ["from the purchase's 202", purchases.map((p) => p.fromResponse)],
      ...TIMED_TASKS.map((task) => [`in ${task} (its Task, history)`, saga.taskMs[task]] as const),
    ] as const) {
      print(
        `  ${name.padEnd(32)} p50 ${percentile(values, 50).toFixed(1)} ms, ` +
          `p99 ${percentile(values, 99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`,
      );
    }
    print(
      `  state transitions per purchase ${saga.transitions} (GetExecutionHistory), ` +
        `$${(saga.meanTransitions * DOLLARS_PER_TRANSITION * 1000).toFixed(3)} per 1,000 ` +
        'purchases at $0.025 per 1,000 transitions',
    );
    const sagaP50 = percentile(
      purchases.map((p) => p.fromRequest),
      50,
    );
    print(
      `\nA purchase ends in ${(sagaP50 / percentile(fromRequest, 50)).toFixed(1)}× the time a ` +
        `spin's event takes to reach the leaderboard (p50, from the request): ${TIMED_TASKS.length} ` +
        'function invocations in series, orchestrated, against one delivery through SNS and SQS.',
    );
  } finally {
    await pool?.end();
    await running?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface TimedPurchase {
  id: string;
  status: string;
  fromRequest: number;
  fromResponse: number;
}

/** One purchase, timed from its request (and its 202) until its record has ended. */
async function timePurchase(url: string, pool: pg.Pool, token: string): Promise<TimedPurchase> {
  const sent = performance.now();
  const response = await fetch(`${url}/api/slots/purchases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ titleId: PURCHASED_TITLE }),
  });
  if (response.status !== 202) throw new Error(`a purchase answered ${response.status}`);
  const { id } = (await response.json()) as { id: string };
  const answered = performance.now();
  const deadline = answered + 60_000;
  for (;;) {
    const { rows } = await pool.query<{ status: string }>(
      'SELECT status FROM purchases WHERE id = $1::uuid',
      [id],
    );
    const status = rows[0]?.status ?? 'running';
    if (status !== 'running') {
      const ended = performance.now();
      return { id, status, fromRequest: ended - sent, fromResponse: ended - answered };
    }
    if (performance.now() > deadline) throw new Error(`purchase ${id} still running after 60 s`);
    await sleep(POLL_MS);
  }
}

/**
 * From the purchases' execution histories: the state transitions each cost, and the time inside
 * each task of the completed path (TaskScheduled → TaskSucceeded: the invocation as the engine saw
 * it).
 */
async function sagaFigures(running: RunningStage, purchases: TimedPurchase[]) {
  const localAws = running.localAws;
  if (!localAws) throw new Error('stage 04 serves its CDK app locally');
  const stateMachineArn = localAws.stateMachineArns[LOGICAL_IDS.purchaseSaga];
  if (stateMachineArn === undefined) throw new Error('stage 04 has no purchase saga');
  const sfn = new SFNClient({ ...sdkOptions(running), endpoint: localAws.stepFunctionsUrl });
  try {
    const transitions: number[] = [];
    const taskMs = Object.fromEntries(TIMED_TASKS.map((task) => [task, [] as number[]])) as Record<
      (typeof TIMED_TASKS)[number],
      number[]
    >;
    for (const { id } of purchases) {
      const history = await readHistory(sfn, executionArnOf(stateMachineArn, id));
      transitions.push(stateTransitions(history));
      let scheduled = 0;
      let state = '';
      for (const event of history) {
        state = event.stateEnteredEventDetails?.name ?? state;
        const at = event.timestamp?.getTime() ?? 0;
        if (event.type === 'TaskScheduled') scheduled = at;
        if (event.type === 'TaskSucceeded' && isTimedTask(state))
          taskMs[state].push(at - scheduled);
      }
    }
    const counted = Map.groupBy(transitions, (count) => count);
    const statuses = Map.groupBy(purchases, (p) => p.status);
    return {
      transitions: [...counted].map(([count, all]) => `${count} (×${all.length})`).join(', '),
      meanTransitions: transitions.reduce((sum, count) => sum + count, 0) / transitions.length,
      statuses: [...statuses].map(([status, all]) => `${status} (×${all.length})`).join(', '),
      taskMs,
    };
  } finally {
    sfn.destroy();
  }
}

/** Publishes outbox rows (by event id) with the relay's code, four relays at once. */
async function publishAll(running: RunningStage, topicArn: string, ids: string[]): Promise<void> {
  const sns = new SNSClient(sdkOptions(running));
  const db = createDb(running.context.databaseUrls.slots ?? '', 4);
  try {
    const relay = outboxRelay({ db, sns, topicArn });
    const log = createLogger({ service: 'bench', level: 'silent' });
    const share = Math.ceil(ids.length / 4);
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => relay.publishEvents(ids.slice(i * share, (i + 1) * share), log)),
    );
    const failed = results.reduce((sum, result) => sum + result.failed, 0);
    if (failed > 0) throw new Error(`${failed} events were not published`);
  } finally {
    sns.destroy();
    await db.$disconnect();
  }
}

async function outboxRowOf(
  pool: pg.Pool,
  spinId: string,
): Promise<{ position: bigint; playerId: string }> {
  const { rows } = await pool.query<{ position: string; player_id: string }>(
    `SELECT position, event->'data'->>'playerId' AS player_id FROM outbox
     WHERE type = 'SpinSettled' AND event->'data'->>'spinId' = $1`,
    [spinId],
  );
  const row = rows[0];
  if (!row) throw new Error(`spin ${spinId} has no event in the outbox`);
  return { position: BigInt(row.position), playerId: row.player_id };
}

async function counts(pool: pg.Pool): Promise<{ events: number }> {
  const { rows } = await pool.query<{ count: string }>('SELECT count(*) FROM outbox');
  return { events: Number(rows[0]?.count) };
}

/** Until every wallet's projection row has the sequence of its newest event. */
async function waitForProjection(pool: pg.Pool): Promise<void> {
  const deadline = performance.now() + 120_000;
  for (;;) {
    const { rows } = await pool.query<{ behind: string }>(
      `SELECT count(*) AS behind FROM (
         SELECT event->'data'->>'playerId' AS player_id, max(position) AS last FROM outbox GROUP BY 1
       ) o LEFT JOIN leaderboard_entries e ON e.player_id::text = o.player_id
       WHERE e.sequence IS NULL OR e.sequence < o.last`,
    );
    if (Number(rows[0]?.behind) === 0) return;
    if (performance.now() > deadline) throw new Error('the projection did not catch up in 120 s');
    await sleep(POLL_MS);
  }
}

/** Until the audit bucket holds `expected` objects. */
async function waitForAudit(running: RunningStage, expected: number): Promise<void> {
  const s3 = new S3Client({ ...sdkOptions(running), forcePathStyle: true });
  const bucket = running.context.bucketNames.AuditLog;
  const deadline = performance.now() + 120_000;
  try {
    for (;;) {
      let total = 0;
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
        );
        total += page.KeyCount ?? 0;
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      if (total >= expected) return;
      if (performance.now() > deadline) throw new Error('the audit log did not catch up in 120 s');
      await sleep(20);
    }
  } finally {
    s3.destroy();
  }
}

function sdkOptions(running: RunningStage) {
  const localAws = running.localAws;
  if (!localAws) throw new Error('stage 04 serves its CDK app locally');
  return {
    endpoint: localAws.endpoints.messaging,
    region: localAws.model.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

/** Messages per second through a fresh queue of the same fauxqs: sent, then received and deleted. */
async function rawQueueRate(running: RunningStage): Promise<{ send: number; receive: number }> {
  const sqs = new SQSClient(sdkOptions(running));
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-raw' }));
    const body = JSON.stringify({ padding: 'x'.repeat(400) }); // about an event's size
    const sendStart = performance.now();
    for (let i = 0; i < RAW_MESSAGES; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: Array.from({ length: 10 }, (_, j) => ({ Id: String(j), MessageBody: body })),
        }),
      );
    }
    const sent = performance.now();
    let received = 0;
    while (received < RAW_MESSAGES) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) continue;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: Messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      received += Messages.length;
    }
    const done = performance.now();
    return {
      send: RAW_MESSAGES / ((sent - sendStart) / 1000),
      receive: RAW_MESSAGES / ((done - sent) / 1000),
    };
  } finally {
    sqs.destroy();
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
