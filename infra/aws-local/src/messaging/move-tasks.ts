/*
 * SQS's dead-letter queue redrive — StartMessageMoveTask, ListMessageMoveTasks and
 * CancelMessageMoveTask (JSON 1.0, `X-Amz-Target: AmazonSQS.<Action>`) — which fauxqs lacks.
 * As the SQS API Reference describes them:
 * - the source must be a dead-letter queue of another queue of this app (UnsupportedOperation
 *   otherwise; ResourceNotFoundException for a queue that does not exist);
 * - without DestinationArn, messages go back to "their original source queue": fauxqs does not
 *   record which queue a dead letter came from, so that is the one queue whose RedrivePolicy names
 *   the DLQ; a DLQ shared by several queues needs a DestinationArn here (UnsupportedOperation);
 * - one active task per source queue; MaxNumberOfMessagesPerSecond 1–500, and without it as fast
 *   as the documented ceiling of 500 per second (AWS "optimizes the rate" itself);
 * - ApproximateNumberOfMessagesToMove is the source's messages at the start, visible or not:
 *   fauxqs counts a message received with a visibility timeout of 0 (a learner peeking into the
 *   DLQ) as not visible until the next receive, although it is; the task completes when that
 *   many are moved or none is left to receive;
 * - each message keeps its body and message attributes (it arrives as a new message, with a
 *   receive count of 0); only standard queues, as on AWS.
 * The moves go through the runtime's own SQS client: receive, send, delete — so a message is
 * never lost, and at worst (the runtime stopped between send and delete) sent twice, which
 * at-least-once consumers already handle.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  type Message,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { buildApp } from 'fauxqs';
import { nameFromArn, queueUrlFor } from './names.ts';

type FauxqsApp = ReturnType<typeof buildApp>;

/** The documented ceiling of MaxNumberOfMessagesPerSecond, and the local default. */
export const MAX_MOVE_RATE = 500;
/** How long a message being moved stays invisible to others: long enough for one batch. */
const MOVE_VISIBILITY_SECONDS = 30;

type Status = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

interface MoveTask {
  handle: string;
  sourceArn: string;
  /** As the request gave it (reported as given, absent when it was). */
  destinationArn?: string;
  /** Where the messages go: DestinationArn, or the DLQ's one source queue. */
  targetArn: string;
  maxNumberOfMessagesPerSecond?: number;
  startedTimestamp: number;
  status: Status;
  moved: number;
  toMove: number;
  failureReason?: string;
  done: Promise<void>;
}

/**
 * The codes SQS's older query protocol gave these errors, sent in `x-amzn-query-error`; the SDK
 * names the error by it. Only UnsupportedOperation carries the service's prefix (as the SDK's
 * model of SQS says); ResourceNotFoundException and the common errors do not.
 */
const QUERY_CODES: Record<string, string> = {
  UnsupportedOperation: 'AWS.SimpleQueueService.UnsupportedOperation',
};

/** An SQS error in the JSON 1.0 shape the SDK parses (its `name` is the code). */
class SqsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface MoveTasks {
  /** Cancels every running task and waits for their loops to end. */
  stop(): Promise<void>;
}

export function serveMoveTasks(
  app: FauxqsApp,
  options: { endpoint: () => string; client: (region: string) => SQSClient },
): MoveTasks {
  const tasks: MoveTask[] = [];
  const clientOf = (arn: string) => options.client(arn.split(':')[3] ?? 'us-east-1');
  const urlOf = (arn: string) =>
    queueUrlFor(options.endpoint(), arn.split(':')[4] ?? '', nameFromArn(arn));

  async function attributesOf(
    arn: string,
    names: QueueAttributeName[],
  ): Promise<Record<string, string>> {
    try {
      const { Attributes = {} } = await clientOf(arn).send(
        new GetQueueAttributesCommand({
          QueueUrl: urlOf(arn),
          AttributeNames: names,
        }),
      );
      return Attributes;
    } catch (error) {
      if ((error as Error).name === 'QueueDoesNotExist') {
        throw new SqsApiError('ResourceNotFoundException', `The queue ${arn} does not exist.`);
      }
      throw error;
    }
  }

  /** The queues whose RedrivePolicy names this DLQ. */
  async function sourcesOf(dlqArn: string): Promise<string[]> {
    const { QueueUrls = [] } = await clientOf(dlqArn).send(new ListQueuesCommand({}));
    const sources: string[] = [];
    for (const url of QueueUrls) {
      const { Attributes = {} } = await clientOf(dlqArn).send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['QueueArn', 'RedrivePolicy'],
        }),
      );
      const policy = Attributes.RedrivePolicy ? JSON.parse(Attributes.RedrivePolicy) : undefined;
      if (policy?.deadLetterTargetArn === dlqArn && Attributes.QueueArn) {
        sources.push(Attributes.QueueArn);
      }
    }
    return sources;
  }

  async function start(body: Record<string, unknown>): Promise<{ TaskHandle: string }> {
    const sourceArn = body.SourceArn;
    if (typeof sourceArn !== 'string' || sourceArn === '') {
      throw new SqsApiError(
        'MissingParameter',
        'The request must contain the parameter SourceArn.',
      );
    }
    const destinationArn = body.DestinationArn;
    if (destinationArn !== undefined && typeof destinationArn !== 'string') {
      throw new SqsApiError('InvalidParameterValue', 'DestinationArn must be a queue ARN.');
    }
    const rate = body.MaxNumberOfMessagesPerSecond;
    if (
      rate !== undefined &&
      !(Number.isInteger(rate) && Number(rate) >= 1 && Number(rate) <= MAX_MOVE_RATE)
    ) {
      throw new SqsApiError(
        'InvalidParameterValue',
        `MaxNumberOfMessagesPerSecond must be an integer from 1 to ${MAX_MOVE_RATE}.`,
      );
    }
    const source = await attributesOf(sourceArn, [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'FifoQueue',
    ]);
    if (source.FifoQueue === 'true') {
      throw new SqsApiError(
        'UnsupportedOperation',
        'Only standard queues are supported as the source.',
      );
    }
    const sources = await sourcesOf(sourceArn);
    if (sources.length === 0) {
      throw new SqsApiError(
        'UnsupportedOperation',
        `Source queue ${sourceArn} is not a dead-letter queue of any queue (no RedrivePolicy names it).`,
      );
    }
    let targetArn = destinationArn;
    if (targetArn === undefined) {
      if (sources.length > 1) {
        throw new SqsApiError(
          'UnsupportedOperation',
          `${sourceArn} is the dead-letter queue of ${sources.length} queues, and the local AWS does ` +
            'not record which one each message came from: give DestinationArn',
        );
      }
      targetArn = sources[0] ?? '';
    }
    const target = await attributesOf(targetArn, ['FifoQueue']);
    if (target.FifoQueue === 'true') {
      throw new SqsApiError(
        'UnsupportedOperation',
        'Only standard queues are supported as the destination.',
      );
    }
    if (
      tasks.some(
        (t) => t.sourceArn === sourceArn && (t.status === 'RUNNING' || t.status === 'CANCELLING'),
      )
    ) {
      throw new SqsApiError(
        'UnsupportedOperation',
        `There is already an active message movement task for ${sourceArn}.`,
      );
    }
    const handle = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString(
      'base64',
    );
    const task: MoveTask = {
      handle,
      sourceArn,
      ...(destinationArn === undefined ? {} : { destinationArn }),
      targetArn,
      ...(rate === undefined ? {} : { maxNumberOfMessagesPerSecond: Number(rate) }),
      startedTimestamp: Date.now(),
      status: 'RUNNING',
      moved: 0,
      toMove:
        Number(source.ApproximateNumberOfMessages ?? 0) +
        Number(source.ApproximateNumberOfMessagesNotVisible ?? 0),
      done: Promise.resolve(),
    };
    tasks.push(task);
    task.done = run(task);
    return { TaskHandle: handle };
  }

  async function run(task: MoveTask): Promise<void> {
    const sqs = clientOf(task.sourceArn);
    const rate = task.maxNumberOfMessagesPerSecond ?? MAX_MOVE_RATE;
    try {
      while (task.status === 'RUNNING' && task.moved < task.toMove) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: urlOf(task.sourceArn),
            MaxNumberOfMessages: Math.min(10, task.toMove - task.moved, rate),
            VisibilityTimeout: MOVE_VISIBILITY_SECONDS,
            MessageAttributeNames: ['All'],
          }),
        );
        if (Messages.length === 0) break; // nothing left to receive: done
        const sent = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: urlOf(task.targetArn),
            Entries: Messages.map((m, i) => ({
              Id: String(i),
              MessageBody: m.Body ?? '',
              ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
            })),
          }),
        );
        const moved = (sent.Successful ?? []).map((s) => Messages[Number(s.Id)]);
        // Counted before the delete: they are in the target queue whatever the delete does.
        task.moved += moved.length;
        await deleteMoved(task, moved);
        const failed = sent.Failed?.[0];
        if (failed) throw new Error(`sending to ${task.targetArn} failed: ${failed.Message}`);
        // At most `rate` messages per second since the start.
        const due = task.startedTimestamp + (task.moved / rate) * 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
      task.status = task.status === 'CANCELLING' ? 'CANCELLED' : 'COMPLETED';
    } catch (error) {
      task.status = 'FAILED';
      task.failureReason = error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * Deletes from the source what was sent to the target. A delete that fails is tried once more;
   * one that fails again would let the message come back after its visibility timeout and be
   * moved a second time, so the task stops and says so (FAILED, with the reason) instead.
   */
  async function deleteMoved(task: MoveTask, moved: (Message | undefined)[]): Promise<void> {
    let pending = moved.flatMap((m) => (m?.ReceiptHandle ? [m.ReceiptHandle] : []));
    for (let attempt = 1; attempt <= 2 && pending.length > 0; attempt += 1) {
      const { Failed = [] } = await clientOf(task.sourceArn).send(
        new DeleteMessageBatchCommand({
          QueueUrl: urlOf(task.sourceArn),
          Entries: pending.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle })),
        }),
      );
      pending = Failed.flatMap((f) => {
        const handle = pending[Number(f.Id)];
        return handle ? [handle] : [];
      });
    }
    if (pending.length > 0) {
      throw new Error(
        `${pending.length} message(s) moved to ${task.targetArn} could not be deleted from ` +
          'the source: they are in both queues, and the task stopped so as not to move them again',
      );
    }
  }

  function list(body: Record<string, unknown>) {
    const sourceArn = body.SourceArn;
    if (typeof sourceArn !== 'string' || sourceArn === '') {
      throw new SqsApiError(
        'MissingParameter',
        'The request must contain the parameter SourceArn.',
      );
    }
    const max = body.MaxResults ?? 1;
    if (!(Number.isInteger(max) && Number(max) >= 1 && Number(max) <= 10)) {
      throw new SqsApiError('InvalidParameterValue', 'MaxResults must be an integer from 1 to 10.');
    }
    const results = tasks
      .filter((t) => t.sourceArn === sourceArn)
      .reverse()
      .slice(0, Number(max))
      .map((t) => ({
        TaskHandle: t.status === 'RUNNING' ? t.handle : undefined,
        Status: t.status,
        SourceArn: t.sourceArn,
        DestinationArn: t.destinationArn,
        MaxNumberOfMessagesPerSecond: t.maxNumberOfMessagesPerSecond,
        ApproximateNumberOfMessagesMoved: t.moved,
        ApproximateNumberOfMessagesToMove: t.toMove,
        FailureReason: t.failureReason,
        StartedTimestamp: t.startedTimestamp,
      }));
    return { Results: results };
  }

  function cancel(body: Record<string, unknown>) {
    const task = tasks.find((t) => t.handle === body.TaskHandle);
    if (task === undefined) {
      throw new SqsApiError('ResourceNotFoundException', 'The specified task does not exist.');
    }
    if (task.status !== 'RUNNING') {
      throw new SqsApiError(
        'UnsupportedOperation',
        `Only a RUNNING task can be cancelled; this one is ${task.status}.`,
      );
    }
    task.status = 'CANCELLING';
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }

  const actions: Record<string, (body: Record<string, unknown>) => unknown> = {
    'AmazonSQS.StartMessageMoveTask': start,
    'AmazonSQS.ListMessageMoveTasks': list,
    'AmazonSQS.CancelMessageMoveTask': cancel,
  };

  app.addHook('preHandler', async (request, reply) => {
    const action = actions[String(request.headers['x-amz-target'] ?? '')];
    if (action === undefined || request.method !== 'POST') return;
    const body = (request.body ?? {}) as Record<string, unknown>;
    try {
      const result = await action(body);
      return reply.type('application/x-amz-json-1.0').send(JSON.stringify(result));
    } catch (error) {
      if (!(error instanceof SqsApiError)) throw error;
      return reply
        .status(400)
        .type('application/x-amz-json-1.0')
        .header('x-amzn-query-error', `${QUERY_CODES[error.code] ?? error.code};Sender`)
        .send(
          JSON.stringify({ __type: `com.amazonaws.sqs#${error.code}`, message: error.message }),
        );
    }
  });

  return {
    async stop() {
      for (const task of tasks) if (task.status === 'RUNNING') task.status = 'CANCELLING';
      await Promise.all(tasks.map((t) => t.done));
    },
  };
}
