/*
 * The purchase reconciler, run every five minutes by a schedule: closes the purchases stuck
 * `running` by what Step Functions says became of their executions (../reconcile.ts), then writes
 * its metrics (namespace Course/Purchases, ../reconcile-metrics.ts), which the stage's alarms
 * watch: purchases holding credits with no saga left to return them, and purchases that stay stuck.
 */
import type { ScheduledHandler } from 'aws-lambda';
import { loadReconcilerConfig } from '../../slots/config.ts';
import { slotsEnvironment } from '../../slots/environment.ts';
import { reconcilePurchases } from '../reconcile.ts';
import { purchaseMetricsLine } from '../reconcile-metrics.ts';
import { stepFunctionsSagaExecutions } from '../saga-executions.ts';
import { sagaSfnClient } from '../saga-starter.ts';

const config = loadReconcilerConfig();
const { db, log } = slotsEnvironment(config);
const executions = stepFunctionsSagaExecutions(sagaSfnClient(), config.PURCHASE_SAGA_ARN);

export const handler: ScheduledHandler = async (_event, context) => {
  const started = performance.now();
  const invocationLog = log.child({ awsRequestId: context.awsRequestId });
  const report = await reconcilePurchases({ db, executions, log: invocationLog });
  invocationLog.info(
    { ...report, ms: Math.round(performance.now() - started) },
    'purchases reconciled',
  );
  // Straight to stdout, not through the logger: the metrics must not depend on LOG_LEVEL.
  const metrics = purchaseMetricsLine(report.metrics, {
    functionName: context.functionName,
    time: new Date(),
  });
  process.stdout.write(`${metrics}\n`);
};
