import { forumServiceConfigSchema } from '@course/containers/forum';
import { parseConfig } from '@course/service-kit';
import { z } from 'zod';

/** Stage 03's forum settings; a later stage's forum extends them. */
export const forumConfigSchema = forumServiceConfigSchema.extend({
  // The ranks function, by name: locally the runtime's name for it, on AWS the deployed one
  // (the stack passes it). The Lambda endpoint, region and credentials are the AWS SDK's own
  // (AWS_ENDPOINT_URL_LAMBDA locally, the task role on ECS).
  RANKS_FUNCTION_NAME: z.string().min(1),
  // How long one badge lookup may take before the page is sent without badges, as in stage 02.
  // Try 1 to watch it degrade.
  RANKS_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(300),
});

export type ForumConfig = z.infer<typeof forumConfigSchema>;

/** Parses the environment once; throws a ConfigError that lists every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ForumConfig {
  return parseConfig(forumConfigSchema, env);
}
