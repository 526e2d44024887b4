/*
 * The saga's last step, after the grant: marks the purchase completed (../steps.ts). Nothing can
 * compensate after it, so the record never says completed for a purchase that is then refunded.
 */
import { recordStepFunction } from '../step-function.ts';
import { complete } from '../steps.ts';

export const handler = recordStepFunction('complete', complete);
