import { jwkJsonSchema, parseConfig } from '@course/service-kit';
import type { z } from 'zod';
import { stage02ConfigSchema } from '../service.ts';

const usersConfigSchema = stage02ConfigSchema.extend({
  // A private Ed25519 JWK (JSON). Without one, each start signs with a fresh key and old tokens
  // stop working; on AWS it is derived from a generated secret (see container-env.ts).
  JWT_PRIVATE_JWK: jwkJsonSchema.optional(),
});

export type UsersConfig = z.infer<typeof usersConfigSchema>;

/** Parses the environment once; throws a ConfigError that lists every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): UsersConfig {
  return parseConfig(usersConfigSchema, env);
}
