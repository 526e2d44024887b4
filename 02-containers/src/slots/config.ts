import { parseConfig } from '@course/service-kit';
import type { z } from 'zod';
import { httpUrlSchema, stage02ConfigSchema } from '../service.ts';

const slotsConfigSchema = stage02ConfigSchema.extend({
  // The users service's published public keys: tokens are verified here, never sent back.
  JWKS_URL: httpUrlSchema,
});

export type SlotsConfig = z.infer<typeof slotsConfigSchema>;

/** Parses the environment once; throws a ConfigError that lists every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SlotsConfig {
  return parseConfig(slotsConfigSchema, env);
}
