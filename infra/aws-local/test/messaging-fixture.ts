/*
 * What the messaging tests share: a small model built in code (the assembly reader is another
 * part's), a stub Invoker that runs plain functions and counts concurrency, and bounded waits.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { InvocationResult, InvokeOptions, Invoker } from '../src/lambda/invoker.ts';
import { type Messaging, startMessaging } from '../src/messaging/index.ts';
import {
  FAUXQS_ACCOUNT_ID,
  queueArnFor,
  queueUrlFor,
  topicArnFor,
} from '../src/messaging/names.ts';
import { LOCAL_CREDENTIALS } from '../src/messaging/server.ts';
import type {
  LocalAwsModel,
  LocalEventSourceMapping,
  LocalFunction,
  LocalQueue,
  LocalTopic,
} from '../src/model.ts';

export const REGION = 'eu-west-1';

export function aQueue(name: string, overrides: Partial<LocalQueue> = {}): LocalQueue {
  return {
    logicalId: name.replace(/[^A-Za-z0-9]/g, ''),
    name,
    arn: queueArnFor(REGION, FAUXQS_ACCOUNT_ID, name),
    fifo: name.endsWith('.fifo'),
    contentBasedDeduplication: false,
    visibilityTimeoutSeconds: 30,
    messageRetentionSeconds: 345_600,
    delaySeconds: 0,
    receiveMessageWaitTimeSeconds: 0,
    ...overrides,
  };
}

export function aTopic(name: string): LocalTopic {
  return {
    logicalId: name.replace(/[^A-Za-z0-9]/g, ''),
    name,
    arn: topicArnFor(REGION, FAUXQS_ACCOUNT_ID, name),
    fifo: false,
    contentBasedDeduplication: false,
  };
}

export function aFunction(name: string, timeoutSeconds = 3): LocalFunction {
  return {
    logicalId: name,
    name,
    arn: `arn:aws:lambda:${REGION}:${FAUXQS_ACCOUNT_ID}:function:${name}`,
    codeDir: '/nowhere',
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    timeoutSeconds,
    memoryMb: 128,
    environment: {},
  };
}

export function aMapping(
  queue: LocalQueue,
  fn: LocalFunction,
  overrides: Partial<LocalEventSourceMapping> = {},
): LocalEventSourceMapping {
  return {
    logicalId: `${fn.name}Mapping`,
    queueArn: queue.arn,
    functionName: fn.name,
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: false,
    enabled: true,
    ...overrides,
  };
}

export function aModel(parts: Partial<LocalAwsModel>): LocalAwsModel {
  return {
    stackName: 'Test',
    region: REGION,
    accountId: FAUXQS_ACCOUNT_ID,
    functions: [],
    httpApis: [],
    queues: [],
    topics: [],
    subscriptions: [],
    eventSourceMappings: [],
    schedules: [],
    buckets: [],
    stateMachines: [],
    ignored: [],
    ...parts,
  };
}

export interface Call {
  event: unknown;
  options: InvokeOptions | undefined;
  startedAt: number;
}

/**
 * Runs each function as a plain async function in this process: what it returns is the
 * payload, what it throws a handled error. Records every call and the highest concurrency.
 */
export class StubInvoker implements Invoker {
  readonly calls = new Map<string, Call[]>();
  readonly discarded: string[] = [];
  readonly maxConcurrency = new Map<string, number>();
  readonly #running = new Map<string, number>();

  constructor(private readonly handlers: Record<string, (event: unknown) => unknown>) {}

  has(name: string): boolean {
    return name in this.handlers;
  }

  callsOf(name: string): Call[] {
    return this.calls.get(name) ?? [];
  }

  async invoke(name: string, event: unknown, options?: InvokeOptions): Promise<InvocationResult> {
    const handler = this.handlers[name];
    if (!handler) throw new Error(`no function ${name}`);
    const running = (this.#running.get(name) ?? 0) + 1;
    this.#running.set(name, running);
    this.maxConcurrency.set(name, Math.max(running, this.maxConcurrency.get(name) ?? 0));
    this.calls.set(name, [...this.callsOf(name), { event, options, startedAt: Date.now() }]);
    try {
      const value = await handler(event);
      return { outcome: 'success', payload: JSON.stringify(value ?? null), logTail: '' };
    } catch (error) {
      return {
        outcome: 'error',
        kind: 'handled',
        error: { errorType: 'Error', errorMessage: (error as Error).message, trace: [] },
        logTail: '',
      };
    } finally {
      this.#running.set(name, (this.#running.get(name) ?? 1) - 1);
      if (options?.discardEnvironment) this.discarded.push(name);
    }
  }

  async discardEnvironments(name: string): Promise<void> {
    this.discarded.push(name);
  }
}

export function clients(endpoint: string): { sqs: SQSClient; sns: SNSClient } {
  const config = { endpoint, region: REGION, credentials: LOCAL_CREDENTIALS };
  return { sqs: new SQSClient(config), sns: new SNSClient(config) };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  ms = 10_000,
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects the runtime's log lines. */
export function logSink(): { lines: string[]; log: (source: string, line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (source, line) => lines.push(`${source}: ${line}`) };
}

export const bodiesOf = (event: unknown) =>
  (event as SQSEvent).Records.map((record) => record.body);
export const idsOf = (event: unknown) =>
  (event as SQSEvent).Records.map((record) => record.messageId);

const started: Messaging[] = [];

/** Stops every messaging a test started (call it in afterEach). */
export async function stopStarted(): Promise<void> {
  await Promise.all(started.splice(0).map((messaging) => messaging.stop()));
}

export interface Started {
  messaging: Messaging;
  endpoint: string;
  invoker: StubInvoker;
  sqs: SQSClient;
  sns: SNSClient;
  lines: string[];
  urlOf(queue: string): string;
  /** Sends the bodies in batches of 10 (SendMessageBatch). */
  send(queue: string, ...bodies: string[]): Promise<void>;
  /** Messages left in the queue: ready, delayed or in flight. */
  remaining(queue: string): Promise<number>;
  /** Every record body the function `consumer` was handed, in order. */
  delivered(): string[];
}

export async function startModel(
  model: LocalAwsModel,
  invoker: StubInvoker,
  timeScale = 0.1,
): Promise<Started> {
  const sink = logSink();
  const messaging = await startMessaging(model, { invoker, timeScale, log: sink.log });
  started.push(messaging);
  const { sqs, sns } = clients(messaging.endpoint);
  const urlOf = (queue: string) => queueUrlFor(messaging.endpoint, FAUXQS_ACCOUNT_ID, queue);
  return {
    messaging,
    endpoint: messaging.endpoint,
    invoker,
    sqs,
    sns,
    lines: sink.lines,
    urlOf,
    async send(queue, ...bodies) {
      for (let i = 0; i < bodies.length; i += 10) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: urlOf(queue),
            Entries: bodies
              .slice(i, i + 10)
              .map((body, j) => ({ Id: String(j), MessageBody: body })),
          }),
        );
      }
    },
    async remaining(queue) {
      const snapshot = await messaging.server.inspectQueue(queue);
      const { ready = [], delayed = [], inflight = [] } = snapshot?.messages ?? {};
      return ready.length + delayed.length + inflight.length;
    },
    delivered: () => invoker.callsOf('consumer').flatMap((call) => bodiesOf(call.event)),
  };
}

/** `queue` (and `others`) with a mapping to a function `consumer` running `handler`. */
export function startConsumer(
  queue: LocalQueue,
  handler: (event: unknown) => unknown,
  mapping: Partial<LocalEventSourceMapping> = {},
  others: LocalQueue[] = [],
): Promise<Started> {
  const fn = aFunction('consumer');
  return startModel(
    aModel({
      queues: [queue, ...others],
      functions: [fn],
      eventSourceMappings: [aMapping(queue, fn, mapping)],
    }),
    new StubInvoker({ consumer: handler }),
  );
}
