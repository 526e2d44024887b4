import { parseConfig } from '@course/service-kit';
import { z } from 'zod';
import { httpUrlSchema, stage02ConfigSchema } from '../service.ts';

/** The forum service's settings apart from where its badges come from. */
export const forumServiceConfigSchema = stage02ConfigSchema.extend({
  // The users service's published public keys: tokens are verified here, never sent back.
  JWKS_URL: httpUrlSchema,
});

export type ForumServiceConfig = z.infer<typeof forumServiceConfigSchema>;

const forumConfigSchema = forumServiceConfigSchema.extend({
  // Where the slots service answers: an address from the environment locally and in compose,
  // a Cloud Map DNS name on AWS. The forum finds it there, never in code.
  SLOTS_URL: httpUrlSchema,
  // How long one badge lookup may take before the page is sent without badges. A thread page
  // must not be slower than its slowest optional part; try 1 to watch it degrade.
  SLOTS_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(300),
});

export type ForumConfig = z.infer<typeof forumConfigSchema>;

/** Parses the environment once; throws a ConfigError that lists every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ForumConfig {
  return parseConfig(forumConfigSchema, env);
}
