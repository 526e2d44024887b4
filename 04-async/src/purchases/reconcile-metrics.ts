/*
 * The purchase reconciler's metrics, as one EMF line per run (../emf.ts). The stage's CDK app
 * alarms on both: a purchase holding a player's credits with no saga left to return them, and
 * purchases that stay `running` run after run.
 */
import { type EmfUnit, emfLine } from '../emf.ts';

/** The CloudWatch namespace of the purchases' metrics. */
export const PURCHASE_METRICS_NAMESPACE = 'Course/Purchases';

export interface PurchaseMetrics {
  /** Records still `running` past the reconciler's threshold after its run (their saga is still retrying). */
  StuckPurchases: number;
  /** Records `failed` whose credits were debited and never refunded: each one waits for a human. */
  PurchasesHoldingCredits: number;
}

/** The two metric names, for the CDK app's alarms (one source). */
export const PURCHASE_METRICS = {
  stuckPurchases: 'StuckPurchases',
  purchasesHoldingCredits: 'PurchasesHoldingCredits',
} as const satisfies Record<string, keyof PurchaseMetrics>;

const UNITS: Record<keyof PurchaseMetrics, EmfUnit> = {
  StuckPurchases: 'Count',
  PurchasesHoldingCredits: 'Count',
};

/** The EMF line of one reconciler run, by the reconciler's FunctionName. */
export function purchaseMetricsLine(
  metrics: PurchaseMetrics,
  context: { functionName: string; time: Date },
): string {
  return emfLine(PURCHASE_METRICS_NAMESPACE, UNITS, { ...metrics }, context);
}
