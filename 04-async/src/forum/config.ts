import { forumConfigSchema } from '@course/serverless/forum/config';
import { parseConfig } from '@course/service-kit';
import { z } from 'zod';

const jackpotForumConfigSchema = forumConfigSchema.extend({
  // The queue of big wins this service announces: locally the runtime's URL for the jackpot
  // queue, on AWS the deployed one (the stack passes it). The SQS endpoint, region and
  // credentials are the AWS SDK's own (AWS_ENDPOINT_URL_SQS locally, the task role on ECS).
  JACKPOT_QUEUE_URL: z.url(),
});

export type JackpotForumConfig = z.infer<typeof jackpotForumConfigSchema>;

/** Parses the environment once; throws a ConfigError that lists every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): JackpotForumConfig {
  return parseConfig(jackpotForumConfigSchema, env);
}
