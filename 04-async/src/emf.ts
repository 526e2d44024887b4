/*
 * One CloudWatch Embedded Metric Format (EMF) line: a JSON object written to stdout, which Lambda
 * sends to CloudWatch Logs, where CloudWatch extracts the metrics from it — no PutMetricData call,
 * no permission, no network path. The outbox sweeper and the purchase reconciler both report this
 * way, each with its own namespace and metric names.
 *
 * Hand-written rather than with Powertools' Metrics: a few numbers per run need one object, and
 * the format is short (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
 * CloudWatch_Embedded_Metric_Format_Specification.html).
 */

export type EmfUnit = 'Seconds' | 'Count';

/**
 * The EMF line of one run. One dimension, FunctionName (the reporting function's, from its Lambda
 * context): the CDK app knows it (`fn.functionName`), and two deployments of the stage in one
 * account keep their metrics apart.
 */
export function emfLine<Name extends string>(
  namespace: string,
  units: Record<Name, EmfUnit>,
  metrics: Record<Name, number>,
  { functionName, time }: { functionName: string; time: Date },
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: time.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [['FunctionName']],
          Metrics: Object.entries<EmfUnit>(units).map(([Name, Unit]) => ({ Name, Unit })),
        },
      ],
    },
    FunctionName: functionName,
    ...metrics,
  });
}
