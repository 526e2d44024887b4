import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { EventContractError, isBigWin, parseDomainEvent } from '@course/contract/events';
import type { Logger } from '@course/service-kit';
import { announceBigWin } from './announcements.ts';
import type { AsyncForumDatabase } from './db.ts';

export interface JackpotPollerOptions {
  sqs: SQSClient;
  /** The jackpot queue: big wins only, as its subscription's filter policy lets through. */
  queueUrl: string;
  db: AsyncForumDatabase;
  log: Logger;
  /** Aborting it stops the poller: between polls, or at once during one. */
  signal: AbortSignal;
  /** Long polling: how long one receive waits for a message. Default 20 s, SQS's maximum. */
  waitTimeSeconds?: number;
  /** The pause after SQS itself failed, doubled on each failure in a row up to maxBackoffMs. */
  backoffMs?: number;
  /** Default 20 s. */
  maxBackoffMs?: number;
}

/** What happened to one message: handled ones are deleted, failed ones are left on the queue. */
type Outcome = 'announced' | 'already announced' | 'not a big win' | 'failed';

/**
 * The forum's consumer of big wins: a long-running loop in the forum service, the other consumer
 * style beside a Lambda event source mapping. It receives up to 10 messages per long poll,
 * announces each one (exactly once per event: see announceBigWin) and deletes it as soon as its
 * announcement has committed — not the ten together at the end: with a slow database the first
 * ones could outlive their visibility timeout and be delivered again meanwhile. A message that fails (the database is down, the event breaks the
 * contract) is not deleted: its visibility timeout brings it back, and after the queue's
 * maxReceiveCount SQS moves it to the dead-letter queue. Resolves once `signal` is aborted.
 */
export async function pollJackpots({
  sqs,
  queueUrl,
  db,
  log,
  signal,
  waitTimeSeconds = 20,
  backoffMs = 1_000,
  maxBackoffMs = 20_000,
}: JackpotPollerOptions): Promise<void> {
  let pause = backoffMs;
  log.info({ queueUrl }, 'polling the jackpot queue');
  while (!signal.aborted) {
    let messages: Message[];
    try {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitTimeSeconds,
          // The trace id rides in the message attributes; the receive count says how close a
          // failing message is to the dead-letter queue.
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
        // A SIGTERM ends the long poll at once instead of up to 20 s later. What it costs: a
        // receive SQS had already answered is lost in flight; its messages stay invisible until
        // their visibility timeout, then come back, one receive closer to the dead-letter queue.
        { abortSignal: signal },
      );
      messages = received.Messages ?? [];
      pause = backoffMs;
    } catch (err) {
      if (signal.aborted) break;
      // SQS itself failed (unreachable, throttled, no such queue): wait before asking again,
      // longer each time, so an outage is not a hot loop of failing calls and warnings.
      log.warn({ err, retryInMs: pause }, 'receiving from the jackpot queue failed');
      await sleep(pause, undefined, { signal }).catch(() => undefined);
      pause = Math.min(pause * 2, maxBackoffMs);
      continue;
    }
    // A batch received is finished, even during a shutdown: its effects and its delete are quick,
    // and a message left undeleted would come back and use up one of its receives.
    await handleBatch(messages, { sqs, queueUrl, db, log });
  }
  log.info('stopped polling the jackpot queue');
}

/** How long one delete may take: a stuck call must not hold the next message's delete. */
const DELETE_DEADLINE_MS = 5_000;

async function handleBatch(
  messages: Message[],
  { sqs, queueUrl, db, log }: Pick<JackpotPollerOptions, 'sqs' | 'queueUrl' | 'db' | 'log'>,
): Promise<void> {
  for (const message of messages) {
    const { outcome, trace } = await handleMessage(message, db, log);
    if (outcome === 'failed') continue;
    try {
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        { abortSignal: AbortSignal.timeout(DELETE_DEADLINE_MS) },
      );
    } catch (err) {
      // Not deleted means delivered again: harmless, the announcement is idempotent.
      log.warn({ ...trace, err }, 'a handled message was not deleted; it will be received again');
    }
  }
}

/** What a log line about a message carries: its trace id and event id, once they are known. */
interface MessageTrace {
  traceId?: string;
  eventId?: string;
  messageId?: string;
  receiveCount: number;
}

async function handleMessage(
  message: Message,
  db: AsyncForumDatabase,
  log: Logger,
): Promise<{ outcome: Outcome; trace: MessageTrace }> {
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
  // Readable even when the body is not: the message attribute the publisher set.
  let trace: MessageTrace = {
    traceId: message.MessageAttributes?.traceId?.StringValue,
    messageId: message.MessageId,
    receiveCount,
  };
  try {
    const event = parseDomainEvent(message.Body ?? '');
    trace = { ...trace, traceId: event.traceId, eventId: event.id };
    const eventLog = log.child(trace);
    if (!isBigWin(event)) {
      // The subscription's filter policy should not have let it through: nothing to announce.
      eventLog.warn({ type: event.type }, 'not a big win; deleted without an announcement');
      return { outcome: 'not a big win', trace };
    }
    const outcome = await announceBigWin(db, event);
    eventLog.info({ outcome, playerId: event.data.playerId }, 'big win handled');
    return { outcome, trace };
  } catch (err) {
    if (err instanceof EventContractError) {
      log.error(
        { ...trace, issues: err.issues },
        'the message breaks the event contract; left for the dead-letter queue',
      );
    } else {
      log.warn({ ...trace, err }, 'announcing a big win failed; it will be received again');
    }
    return { outcome: 'failed', trace };
  }
}
