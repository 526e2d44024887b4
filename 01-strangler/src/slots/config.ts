import { parseConfig, serviceConfigSchema } from '@course/service-kit';
import { z } from 'zod';

const slotsConfigSchema = serviceConfigSchema.extend({
  // The slots service's own database: wallets and spins, nothing else.
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  // The monolith still signs every token; this service only verifies them, with the public
  // keys the monolith publishes. No secret is shared between the two.
  JWKS_URL: z.url({ protocol: /^https?$/ }),
  TOKEN_ISSUER: z.string().min(1).default('monolith'),
});

export type SlotsConfig = z.infer<typeof slotsConfigSchema>;

/** Parses the environment once; throws a ConfigError that lists every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SlotsConfig {
  return parseConfig(slotsConfigSchema, env);
}
