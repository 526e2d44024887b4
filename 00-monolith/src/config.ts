import { fileURLToPath } from 'node:url';
import { jwkJsonSchema, parseConfig, serviceConfigSchema } from '@course/service-kit';
import { z } from 'zod';

const defaultWebDist = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const monolithConfigSchema = serviceConfigSchema.extend({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  // A private Ed25519 JWK (JSON). Without one, each start signs with a fresh key and old tokens stop working.
  JWT_PRIVATE_JWK: jwkJsonSchema.optional(),
  TOKEN_ISSUER: z.string().min(1).default('monolith'),
  WEB_DIST_DIR: z.string().min(1).default(defaultWebDist),
});

export type MonolithConfig = z.infer<typeof monolithConfigSchema>;

/** Parses the environment once; throws a ConfigError that lists every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): MonolithConfig {
  return parseConfig(monolithConfigSchema, env);
}
