import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
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
import { outboxRelay } from './src/events/outbox.ts';
import { createDb } from './src/slots/database.ts';
import stage04 from './stage.ts';

/*
 * Stage 04's benchmark: how long an event takes from the spin that caused it to the leaderboard
 * read model, and how many events a second the pipeline sustains (relay → SNS → SQS → projector
 * and audit function, batches of up to ten), beside what the same local SQS (fauxqs) moves on
 * its own in the same run. Local figures: the local AWS runtime on this machine, not AWS.
 *
 * The projection is observed by polling the slots database (context.databaseUrls.slots) every
 * POLL_MS: a figure includes up to that much polling delay. `--duration` and `--connections` do
 * not apply; the counts below size the run.
 */

const LATENCY_SPINS = 100;
const BURST_SPINS = 400;
const BURST_CONCURRENCY = 10;
const PLAYERS = 20;
const RAW_MESSAGES = 2_000;
const POLL_MS = 5;

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
  } finally {
    await pool?.end();
    await running?.stop();
    await rm(dataDir, { recursive: true, force: true });
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
