/*
 * The sweeper's metrics, as one EMF line per run (../emf.ts). The stage's CDK app alarms on them:
 * an outbox falling behind, and rows parked for a human.
 */
import { type EmfUnit, emfLine } from '../emf.ts';

/** The CloudWatch namespace of the outbox's metrics. */
export const OUTBOX_METRICS_NAMESPACE = 'Course/Outbox';

export interface OutboxMetrics {
  /** How long the oldest row not yet published (and not parked) has waited; 0 when none. */
  OldestUnpublishedAgeSeconds: number;
  /** Rows parked and still unpublished: each one waits for a human. */
  ParkedEvents: number;
  /** Rows this run published. */
  PublishedEvents: number;
}

const UNITS: Record<keyof OutboxMetrics, EmfUnit> = {
  OldestUnpublishedAgeSeconds: 'Seconds',
  ParkedEvents: 'Count',
  PublishedEvents: 'Count',
};

/** The EMF line of one sweeper run, by the sweeper's FunctionName. */
export function outboxMetricsLine(
  metrics: OutboxMetrics,
  context: { functionName: string; time: Date },
): string {
  return emfLine(OUTBOX_METRICS_NAMESPACE, UNITS, { ...metrics }, context);
}
