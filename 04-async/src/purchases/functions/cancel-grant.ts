/*
 * The purchase saga's first compensation: makes the forum revoke the purchase's title, or refuse
 * it for good if it was never granted, before the refund gives the credits back. A slots function
 * that calls the forum over HTTP inside the VPC. See ../forum-steps.ts.
 */
import type { Handler } from 'aws-lambda';
import { slotsEnvironment } from '../../slots/environment.ts';
import { loadForumStepConfig } from '../forum-config.ts';
import { cancelGrantStep } from '../forum-steps.ts';
import { forumTitlesClient } from '../forum-titles.ts';
import type { CancelGrantResult, StepEvent } from '../saga.ts';

const config = loadForumStepConfig();
const { db, log } = slotsEnvironment(config);
const forum = forumTitlesClient({ forumUrl: config.FORUM_URL, timeoutMs: config.FORUM_TIMEOUT_MS });

export const handler: Handler<StepEvent, CancelGrantResult> = cancelGrantStep({ db, forum, log });
