import { functionConfigSchema } from '@course/serverless/slots/config';
import { parseConfig } from '@course/service-kit/core';
import { z } from 'zod';
import { STAGE } from '../slots/config.ts';

/*
 * The configuration of the saga's forum steps (grant, cancel-grant): slots functions like the
 * others (the slots database holds the purchase record), plus where the forum answers. Parsed once
 * per execution environment.
 */

const forumStepConfigSchema = functionConfigSchema.and(
  z.object({
    // The forum's internal address: locally its process, on AWS its Cloud Map name inside the
    // VPC (http://forum.course.internal:<port>). Never the public URL: /internal is not routed.
    FORUM_URL: z.url({ protocol: /^https?$/ }),
    // How long one call to the forum may take before the attempt fails as ForumUnavailable; the
    // state machine's Retry decides whether to try again. Below the function's own timeout.
    FORUM_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(3_000),
  }),
);

export type ForumStepConfig = z.infer<typeof forumStepConfigSchema>;

/** Throws a ConfigError that lists every problem. */
export function loadForumStepConfig(env: NodeJS.ProcessEnv = process.env): ForumStepConfig {
  return parseConfig(forumStepConfigSchema, { STAGE, ...env });
}
