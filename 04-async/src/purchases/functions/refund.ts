/*
 * The saga's Refund step, the compensation: gives the purchase's price back to the wallet, once
 * (../steps.ts). It runs after CancelGrant has made sure the title is not granted.
 */
import { stepFunction } from '../step-function.ts';
import { refund } from '../steps.ts';

export const handler = stepFunction('refund', refund);
