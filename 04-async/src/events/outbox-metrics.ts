/*
 * The sweeper's metrics, as one CloudWatch Embedded Metric Format (EMF) line per run: a JSON
 * object written to stdout, which Lambda sends to CloudWatch Logs, where CloudWatch extracts the
 * metrics from it — no PutMetricData call, no permission, no network path. The stage's CDK app
 * alarms on them: an outbox falling behind, and rows parked for a human.
 *
 * Hand-written rather than with Powertools' Metrics: three numbers once a minute need one object,
 * and the format is short (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
 * CloudWatch_Embedded_Metric_Format_Specification.html).
 */

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

const UNITS: Record<keyof OutboxMetrics, 'Seconds' | 'Count'> = {
  OldestUnpublishedAgeSeconds: 'Seconds',
  ParkedEvents: 'Count',
  PublishedEvents: 'Count',
};

/**
 * The EMF line of one sweeper run. One dimension, FunctionName (the sweeper's, from its Lambda
 * context): the CDK app knows it (`fn.functionName`), and two deployments of the stage in one
 * account keep their metrics apart.
 */
export function outboxMetricsLine(
  metrics: OutboxMetrics,
  { functionName, time }: { functionName: string; time: Date },
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: time.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: OUTBOX_METRICS_NAMESPACE,
          Dimensions: [['FunctionName']],
          Metrics: Object.entries(UNITS).map(([Name, Unit]) => ({ Name, Unit })),
        },
      ],
    },
    FunctionName: functionName,
    ...metrics,
  });
}
