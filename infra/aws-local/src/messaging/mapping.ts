/*
 * An SQS event source mapping, polled as Lambda polls it: up to MaximumConcurrency batches at
 * once, each gathered by ReceiveMessage (at most 10 messages a call, so larger batch sizes take
 * several calls within the batching window), handed to the function synchronously, then
 * deleted — all of it, or what a partial batch response leaves (batch-response.ts). A failed
 * invocation deletes nothing and never touches visibility: the batch reappears when its
 * visibility timeout expires, and the queue's redrive policy (applied by fauxqs on receive)
 * moves a message that keeps failing to its dead-letter queue.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { Invoker } from '../lambda/invoker.ts';
import {
  LocalAwsError,
  type LocalEventSourceMapping,
  type LocalFunction,
  type LocalQueue,
} from '../model.ts';
import { type RuntimeOptions, scaledMs } from '../options.ts';
import { settleBatch } from './batch-response.ts';
import type { Faults } from './faults.ts';
import { toSqsRecord } from './sqs-event.ts';

/**
 * Concurrent batches when ScalingConfig.MaximumConcurrency is unset. Lambda then starts with
 * five concurrent batches and scales up to 1,250 over minutes; locally we stay at its start,
 * which already shows concurrent consumers without crowding a laptop's cores.
 */
export const DEFAULT_MAXIMUM_CONCURRENCY = 5;

/**
 * How long an idle poller long-polls (SQS's WaitTimeSeconds). Lambda polls with 20 s; a quarter
 * of a second keeps stop() prompt, since stop waits for the polls in flight rather than abandon
 * the messages they may still return (fauxqs takes fractions of a second here; SQS would not).
 */
const IDLE_WAIT_SECONDS = 0.25;

/** SQS hands out at most 10 messages per ReceiveMessage and deletes at most 10 per batch call. */
const SQS_BATCH_LIMIT = 10;

export interface MappingTarget {
  mapping: LocalEventSourceMapping;
  queue: LocalQueue;
  fn: LocalFunction;
  queueUrl: string;
  region: string;
}

/** The checks Lambda's CreateEventSourceMapping makes, so the start fails where a deploy would. */
export function validateMapping({ mapping, queue, fn }: MappingTarget): void {
  const refuse = (message: string, property: string) =>
    new LocalAwsError(
      `Event source mapping ${mapping.logicalId}: ${message}`,
      mapping.logicalId,
      property,
    );
  if (queue.visibilityTimeoutSeconds < fn.timeoutSeconds) {
    // Lambda's own words when CloudFormation creates such a mapping.
    throw refuse(
      `Invalid request provided: Queue visibility timeout: ${queue.visibilityTimeoutSeconds} seconds is less than Function timeout: ${fn.timeoutSeconds} seconds`,
      'EventSourceArn',
    );
  }
  if (mapping.batchSize < 1 || mapping.batchSize > (queue.fifo ? 10 : 10_000)) {
    throw refuse(`BatchSize ${mapping.batchSize} is out of range for this queue`, 'BatchSize');
  }
  if (mapping.batchSize > SQS_BATCH_LIMIT && mapping.maximumBatchingWindowSeconds < 1) {
    throw refuse(
      'a BatchSize above 10 needs a MaximumBatchingWindowInSeconds of at least 1',
      'MaximumBatchingWindowInSeconds',
    );
  }
  if (queue.fifo && mapping.maximumBatchingWindowSeconds > 0) {
    throw refuse(
      'batching windows are not supported for FIFO queues',
      'MaximumBatchingWindowInSeconds',
    );
  }
  const concurrency = mapping.maximumConcurrency;
  if (concurrency !== undefined && (concurrency < 2 || concurrency > 1000)) {
    throw refuse(
      `ScalingConfig.MaximumConcurrency ${concurrency} is outside 2–1000`,
      'ScalingConfig',
    );
  }
}

export class EventSourcePoller {
  readonly #workers: Promise<void>[] = [];
  #stopping = false;
  /** Messages the reorder and expire-visibility faults already acted on (each acts once). */
  readonly #heldBack = new Set<string>();
  readonly #expired = new Set<string>();
  /** The queue's visibility timeout, scaled exactly (fauxqs takes fractions of a second here). */
  readonly #visibilitySeconds: number;

  constructor(
    private readonly target: MappingTarget,
    private readonly sqs: SQSClient,
    private readonly invoker: Invoker,
    private readonly faults: Faults,
    private readonly options: RuntimeOptions,
  ) {
    this.#visibilitySeconds =
      Math.round(target.queue.visibilityTimeoutSeconds * options.timeScale * 1000) / 1000;
  }

  get concurrency(): number {
    return this.target.mapping.maximumConcurrency ?? DEFAULT_MAXIMUM_CONCURRENCY;
  }

  start(): void {
    const { mapping, queue, fn } = this.target;
    this.#log(
      `polls ${queue.name} for ${fn.name}: batch size ${mapping.batchSize}, window ${mapping.maximumBatchingWindowSeconds} s, ` +
        `up to ${this.concurrency} concurrent batches${mapping.reportBatchItemFailures ? ', partial batch responses' : ''}`,
    );
    for (let i = 0; i < this.concurrency; i++) this.#workers.push(this.#work());
  }

  /** Stops polling; resolves once the batches in flight are settled. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#workers);
  }

  async #work(): Promise<void> {
    while (!this.#stopping) {
      try {
        const batch = await this.#collect();
        if (batch.length > 0) await this.#process(batch);
      } catch (error) {
        if (this.#stopping) return;
        this.#log(`polling failed, retrying: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async #receive(max: number, waitSeconds: number): Promise<Message[]> {
    const { Messages } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.target.queueUrl,
        MaxNumberOfMessages: Math.min(SQS_BATCH_LIMIT, max),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: this.#visibilitySeconds,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages ?? [];
  }

  /** One batch: what the first receive returns, topped up until the batch size or the window. */
  async #collect(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.target.mapping;
    const batch = await this.#receive(batchSize, IDLE_WAIT_SECONDS);
    if (batch.length === 0 || maximumBatchingWindowSeconds === 0) return batch;
    const deadline = Date.now() + scaledMs(maximumBatchingWindowSeconds, this.options.timeScale);
    while (batch.length < batchSize && Date.now() < deadline && !this.#stopping) {
      // Long-poll for the rest of the window (in milliseconds: fauxqs accepts fractions).
      batch.push(
        ...(await this.#receive(batchSize - batch.length, (deadline - Date.now()) / 1000)),
      );
    }
    return batch;
  }

  async #process(messages: Message[]): Promise<void> {
    const { mapping, queue, fn, region } = this.target;
    const faults = this.faults.for(mapping.logicalId, queue.name);
    let records = messages.map((message) => toSqsRecord(message, queue.arn, region));

    if (faults.reorder && records.length >= 2) {
      const oldest = records[0] as SQSRecord;
      if (!this.#heldBack.has(oldest.messageId)) {
        this.#heldBack.add(oldest.messageId);
        await this.#makeVisible([oldest]);
        records = records.slice(1);
        this.#log(`fault reorder: held back ${oldest.messageId}`);
      }
      records.reverse();
    }
    const duplicate = faults.duplicate ?? 0;
    const duplicates = records.filter(() => duplicate > 0 && Math.random() < duplicate);
    if (duplicates.length > 0) {
      // An earlier delivery of the same messages whose delete was lost: its outcome is ignored.
      this.#log(`fault duplicate: delivering ${duplicates.length} message(s) twice`);
      await this.invoker.invoke(fn.name, { Records: duplicates }, { queue: true });
    }
    const toExpire = faults.expireVisibility
      ? records.filter((record) => !this.#expired.has(record.messageId))
      : [];
    if (toExpire.length > 0) {
      for (const record of toExpire) this.#expired.add(record.messageId);
      this.faults.spend(mapping.logicalId, queue.name, 'expireVisibility');
    }

    // crash-before-delete: the environment that ran this batch dies after it, and only that one.
    const discardEnvironment = Boolean(faults.crashBeforeDelete);
    const invocation = this.invoker.invoke(
      fn.name,
      { Records: records },
      { queue: true, discardEnvironment },
    );
    if (toExpire.length > 0) {
      await this.#makeVisible(toExpire);
      this.#log(
        `fault expire-visibility: ${toExpire.length} message(s) visible again mid-invocation`,
      );
    }
    const result = await invocation;

    if (result.outcome !== 'success') {
      const why =
        result.outcome === 'error' ? `${result.kind}: ${result.error.errorMessage}` : 'throttled';
      this.#log(
        `batch of ${records.length} failed (${why}); nothing deleted, it returns after the visibility timeout`,
      );
      return;
    }
    if (faults.crashBeforeDelete) {
      this.faults.spend(mapping.logicalId, queue.name, 'crashBeforeDelete');
      this.#log(
        `fault crash-before-delete: environment killed after the handler, ${records.length} message(s) not deleted`,
      );
      return;
    }
    const settlement = settleBatch(
      records.map((record) => record.messageId),
      result.payload,
      mapping.reportBatchItemFailures,
    );
    if (settlement.kind === 'keep-all') {
      this.#log(`batch response refused (${settlement.reason}): the whole batch counts as failed`);
      return;
    }
    const toDelete =
      settlement.kind === 'delete-all'
        ? records
        : records.filter((record) => !settlement.failed.has(record.messageId));
    await this.#delete(toDelete);
  }

  async #delete(records: SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += SQS_BATCH_LIMIT) {
      const chunk = records.slice(i, i + SQS_BATCH_LIMIT);
      const { Failed } = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.target.queueUrl,
          Entries: chunk.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      );
      for (const failure of Failed ?? [])
        this.#log(`delete failed: ${failure.Code} ${failure.Message}`);
    }
  }

  /** The faults' only visibility change; the normal path never changes visibility. */
  async #makeVisible(records: SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += SQS_BATCH_LIMIT) {
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.target.queueUrl,
          Entries: records.slice(i, i + SQS_BATCH_LIMIT).map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  #log(line: string): void {
    this.options.log(this.target.mapping.logicalId, line);
  }
}
