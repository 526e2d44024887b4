/*
 * The purchase saga's grant step: grants the purchase's title through the forum's internal route
 * (the complete step then marks the purchase completed). A slots function (the purchase record is in the slots
 * database) that calls the forum over HTTP inside the VPC. See ../forum-steps.ts.
 */
import type { Handler } from 'aws-lambda';
import { slotsEnvironment } from '../../slots/environment.ts';
import { loadForumStepConfig } from '../forum-config.ts';
import { grantStep } from '../forum-steps.ts';
import { forumTitlesClient } from '../forum-titles.ts';
import type { GrantResult, StepEvent } from '../saga.ts';

const config = loadForumStepConfig();
const { db, log } = slotsEnvironment(config);
const forum = forumTitlesClient({ forumUrl: config.FORUM_URL, timeoutMs: config.FORUM_TIMEOUT_MS });

export const handler: Handler<StepEvent, GrantResult> = grantStep({ db, forum, log });
