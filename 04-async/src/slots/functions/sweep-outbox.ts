/*
 * The outbox sweeper, run every minute by a schedule: publishes the events the relay left
 * unpublished (the write function crashed or timed out between its commit and its publish, or
 * SNS refused), oldest first, and marks them. It waits until a row is OUTBOX_GRACE_MS old, so
 * that it rarely publishes an event its relay is publishing at that moment — and when it does,
 * the consumers are idempotent: the event's second copy changes nothing. A row that can never be
 * published is parked and skipped (see ../../events/outbox.ts); each run ends with its metrics
 * (namespace Course/Outbox), which the stage's alarms watch.
 */
import type { ScheduledHandler } from 'aws-lambda';
import { eventsSnsClient, outboxRelay } from '../../events/outbox.ts';
import { outboxMetricsLine } from '../../events/outbox-metrics.ts';
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
const relay = outboxRelay({ db, sns: eventsSnsClient(), topicArn: config.EVENTS_TOPIC_ARN });

export const handler: ScheduledHandler = async (_event, context) => {
  const started = performance.now();
  const invocationLog = log.child({ awsRequestId: context.awsRequestId });
  const total = await relay.sweepOutbox(
    {
      olderThanMs: OUTBOX_GRACE_MS,
      passSize: PASS_SIZE,
      timeLeftMs: () => context.getRemainingTimeInMillis(),
      marginMs: TIME_MARGIN_MS,
    },
    invocationLog,
  );
  const health = await relay.health();
  invocationLog.info(
    { ...total, ...health, ms: Math.round(performance.now() - started) },
    total.found === 0 ? 'outbox swept: nothing left behind' : 'outbox swept',
  );
  // Straight to stdout, not through the logger: the metrics must not depend on LOG_LEVEL.
  const metrics = outboxMetricsLine(
    {
      OldestUnpublishedAgeSeconds: health.oldestUnpublishedAgeSeconds,
      ParkedEvents: health.parkedEvents,
      PublishedEvents: total.published,
    },
    { functionName: context.functionName, time: new Date() },
  );
  process.stdout.write(`${metrics}\n`);
};
