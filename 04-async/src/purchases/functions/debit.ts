/*
 * The saga's Debit step: takes the purchase's price from the wallet (../steps.ts), or says why not.
 * Its outcome (debited | rejected | closed) is what the state machine's Choice branches on.
 */
import { stepFunction } from '../step-function.ts';
import { debit } from '../steps.ts';

export const handler = stepFunction('debit', debit);
