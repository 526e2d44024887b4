/*
 * `pnpm bench aws-local`: what the local AWS adds, measured against what it stands on, in one
 * run (the machines are shared and noisy: compare the ratios, not absolute figures across runs).
 *
 * - a warm HTTP API → Lambda request against the same handler behind a plain Node HTTP server;
 * - a function's local cold start (a new environment: process, module load, first event);
 * - SQS → Lambda through an event source mapping: messages per second for a burst sent in
 *   batches, against fauxqs's own batched send + receive + delete rate on another queue of the
 *   same server; and the latency from SendMessage to the handler (p50, p99), both behind the
 *   burst's backlog and for single messages at a steady rate.
 *
 * The app is a cloud assembly written by hand (no synth to wait for). Both functions come from
 * one small CommonJS asset, which the plain server loads too: both sides run the same handler.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { measureSequential, type SequentialLatency } from './src/http-api/index.ts';
import { type LocalAws, startLocalAws } from './src/index.ts';
// The tests' writer of hand-made assemblies serves the benchmark too.
import { appFunction, writeAssembly } from './test/hand-written-assembly.ts';

/** `pnpm bench`'s options; only the duration is used, to size the runs. */
interface LoadOptions {
  durationSeconds: number;
}

/** The mapping's consumer logs, per batch, how long each message took from SendMessage to it. */
const LATENCY_LINE = /latencies ([\d,]+)/;
const HANDLERS = `
exports.http = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ hello: event.rawPath }),
});
exports.sqs = async (event) => {
  const now = Date.now();
  console.log('latencies ' + event.Records.map((r) => now - Number(r.body)).join(','));
  return { batchItemFailures: [] };
};
`;
const MAXIMUM_CONCURRENCY = 4;
/** The latency without a backlog: single messages at a rate far below the throughput. */
const STEADY_RATE = 100;
const STEADY_MESSAGES = 500;
const SENDERS = 4;

export default async function bench({ durationSeconds }: LoadOptions): Promise<void> {
  const dir = writeBenchAssembly();
  const latencies: number[] = [];
  const local = await startLocalAws({
    assemblyDir: dir,
    log: (_source, line) => {
      const match = LATENCY_LINE.exec(line);
      if (match) latencies.push(...(match[1] ?? '').split(',').map(Number));
    },
  });
  try {
    const http = await warmHttp(local, join(dir, 'asset.code', 'index.js'), durationSeconds);
    const cold = await coldStarts(local, 10);
    const messages = Math.max(1000, Math.round(durationSeconds * 300));
    const mapping = await throughSqs(local, messages, latencies);
    const steady = await steadySqs(local, STEADY_MESSAGES, latencies);
    const fauxqs = await fauxqsAlone(local, messages);
    const ms = (n: number) => n.toFixed(2);
    print(`Warm HTTP API → Lambda, ${http.local.count} sequential requests, in rounds:`);
    print(`  local HTTP API  p50 ${ms(http.local.p50Ms)} ms  p99 ${ms(http.local.p99Ms)} ms`);
    print(`  plain Node      p50 ${ms(http.plain.p50Ms)} ms  p99 ${ms(http.plain.p99Ms)} ms`);
    print(
      `  added p50 ${ms(http.local.p50Ms - http.plain.p50Ms)} ms; ratio ${(http.local.p50Ms / http.plain.p50Ms).toFixed(1)}×`,
    );
    print(
      `Cold start (new environment + first event), ${cold.length} times: median ${ms(median(cold))} ms, max ${ms(Math.max(...cold))} ms`,
    );
    print(
      `SQS → Lambda, ${messages} messages sent in one burst, batches of 10, up to ${MAXIMUM_CONCURRENCY} concurrent:`,
    );
    print(
      `  ${mapping.perSecond.toFixed(0)} messages/s; SendMessage → handler, behind the burst: p50 ${mapping.p50} ms, p99 ${mapping.p99} ms`,
    );
    print(`  fauxqs alone (send + receive + delete, batched): ${fauxqs.toFixed(0)} messages/s`);
    print(`  mapping / fauxqs alone: ${((mapping.perSecond / fauxqs) * 100).toFixed(0)} %`);
    print(
      `SQS → Lambda at a steady ${STEADY_RATE} messages/s (one SendMessage each): SendMessage → handler p50 ${steady.p50} ms, p99 ${steady.p99} ms`,
    );
  } finally {
    await local.stop();
  }
}

function writeBenchAssembly(): string {
  const fn = (handler: string) => appFunction({ Handler: `index.${handler}`, Timeout: 10 });
  const api = (props: Record<string, unknown>) => ({ ApiId: { Ref: 'Api' }, ...props });
  return writeAssembly(
    {
      Http: fn('http'),
      Sqs: fn('sqs'),
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'Bench', ProtocolType: 'HTTP' } },
      Stage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: api({ StageName: '$default' }) },
      Integration: {
        Type: 'AWS::ApiGatewayV2::Integration',
        Properties: api({
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: { 'Fn::GetAtt': ['Http', 'Arn'] },
          PayloadFormatVersion: '2.0',
        }),
      },
      Route: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: api({ RouteKey: 'GET /hello', Target: 'integrations/Integration' }),
      },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30 } },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
          FunctionName: { Ref: 'Sqs' },
          BatchSize: 10,
          ScalingConfig: { MaximumConcurrency: MAXIMUM_CONCURRENCY },
        },
      },
      Baseline: { Type: 'AWS::SQS::Queue', Properties: {} },
    },
    {},
    HANDLERS,
  );
}

/** The same handler behind the local HTTP API and behind a plain server, measured in turns. */
async function warmHttp(local: LocalAws, handlerFile: string, durationSeconds: number) {
  const handler = createRequire(import.meta.url)(handlerFile) as {
    http: (event: {
      rawPath: string;
    }) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
  };
  const plain = createServer(async (req, res) => {
    const answer = await handler.http({ rawPath: req.url ?? '/' });
    res.writeHead(answer.statusCode, answer.headers).end(answer.body);
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/hello`;
  const localUrl = `${Object.values(local.httpApiUrls)[0]}/hello`;
  const rounds = Math.max(3, Math.round(durationSeconds / 2));
  const measured: { local: SequentialLatency[]; plain: SequentialLatency[] } = {
    local: [],
    plain: [],
  };
  for (let round = 0; round < rounds; round++) {
    measured.local.push(await measureSequential(localUrl, 500));
    measured.plain.push(await measureSequential(plainUrl, 500));
  }
  plain.close();
  const combine = (list: SequentialLatency[]): SequentialLatency => ({
    count: list.reduce((sum, m) => sum + m.count, 0),
    p50Ms: median(list.map((m) => m.p50Ms)),
    p99Ms: median(list.map((m) => m.p99Ms)),
  });
  return { local: combine(measured.local), plain: combine(measured.plain) };
}

/** Each time: the function's environments discarded, then one event, timed from the call. */
async function coldStarts(local: LocalAws, times: number): Promise<number[]> {
  const name = 'Hand-Http';
  const durations: number[] = [];
  for (let i = 0; i < times; i++) {
    await local.invoker.discardEnvironments(name);
    const start = performance.now();
    const result = await local.invoker.invoke(name, { rawPath: '/cold' });
    if (result.outcome !== 'success')
      throw new Error(`cold invocation failed: ${JSON.stringify(result)}`);
    durations.push(performance.now() - start);
  }
  return durations;
}

function sqsClient(local: LocalAws): SQSClient {
  return new SQSClient({
    endpoint: local.env.AWS_ENDPOINT_URL_SQS,
    region: local.env.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

function queueUrl(local: LocalAws, logicalId: string): string {
  const name = local.model.queues.find((q) => q.logicalId === logicalId)?.name;
  return `${local.endpoints.messaging}/${local.model.accountId}/${name}`;
}

/** Sends `count` messages in batches of 10 from a few concurrent senders; each body is its send time. */
async function sendAll(sqs: SQSClient, url: string, count: number): Promise<void> {
  let next = 0;
  const sender = async () => {
    while (next < count) {
      const size = Math.min(10, count - next);
      next += size;
      const entries = Array.from({ length: size }, (_, i) => ({
        Id: String(i),
        MessageBody: String(Date.now()),
      }));
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
}

async function throughSqs(local: LocalAws, count: number, latencies: number[]) {
  latencies.length = 0;
  const sqs = sqsClient(local);
  const start = performance.now();
  await sendAll(sqs, queueUrl(local, 'Queue'), count);
  await waitFor(() => latencies.length >= count, `${count} messages`);
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: count / seconds, ...percentiles(latencies) };
}

async function waitFor(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`${what} did not all reach the handler within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Single messages, paced: the latency a message sees when no backlog is ahead of it. */
async function steadySqs(local: LocalAws, count: number, latencies: number[]) {
  latencies.length = 0;
  const sqs = sqsClient(local);
  const url = queueUrl(local, 'Queue');
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / STEADY_RATE;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: String(Date.now()) }));
  }
  await waitFor(() => latencies.length >= count, `${count} paced messages`);
  return percentiles(latencies);
}

/** fauxqs's own rate on the same server: batched send, then receive + delete by as many workers. */
async function fauxqsAlone(local: LocalAws, count: number): Promise<number> {
  const sqs = sqsClient(local);
  const url = queueUrl(local, 'Baseline');
  const start = performance.now();
  await sendAll(sqs, url, count);
  let received = 0;
  const receiver = async () => {
    while (received < count) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) continue;
      received += Messages.length;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: MAXIMUM_CONCURRENCY }, receiver));
  return count / ((performance.now() - start) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
