/*
 * The outbox sweeper, run every minute by a schedule: publishes the events the relay left
 * unpublished (the write function crashed or timed out between its commit and its publish, or
 * SNS refused), oldest first, and marks them. It waits until a row is OUTBOX_GRACE_MS old, so
 * that it rarely publishes an event its relay is publishing at that moment — and when it does,
 * the consumers are idempotent: the event's second copy changes nothing.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { ScheduledHandler } from 'aws-lambda';
import { outboxRelay } from '../../events/outbox.ts';
import { loadPublisherConfig } from '../config.ts';
import { slotsEnvironment } from '../environment.ts';

/** How old an unpublished row must be before the sweeper publishes it. */
export const OUTBOX_GRACE_MS = 10_000;
/** Rows per pass; passes go on while they find full pages and time is left. */
const PASS_SIZE = 100;
/** Stop starting passes this long before the function's timeout. */
const TIME_MARGIN_MS = 5_000;

const config = loadPublisherConfig();
const { db, log } = slotsEnvironment(config);
const relay = outboxRelay({ db, sns: new SNSClient({}), topicArn: config.EVENTS_TOPIC_ARN });

export const handler: ScheduledHandler = async (_event, context) => {
  const started = performance.now();
  const invocationLog = log.child({ awsRequestId: context.awsRequestId });
  const total = { found: 0, published: 0, failed: 0 };
  for (;;) {
    const pass = await relay.sweepOutbox(
      { olderThanMs: OUTBOX_GRACE_MS, limit: PASS_SIZE },
      invocationLog,
    );
    total.found += pass.found;
    total.published += pass.published;
    total.failed += pass.failed;
    // A short page means the backlog is done; failures mean SNS is refusing: try next minute.
    if (pass.found < PASS_SIZE || pass.failed > 0) break;
    if (context.getRemainingTimeInMillis() < TIME_MARGIN_MS) break;
  }
  invocationLog.info(
    { ...total, ms: Math.round(performance.now() - started) },
    total.found === 0 ? 'outbox swept: nothing left behind' : 'outbox swept',
  );
};
