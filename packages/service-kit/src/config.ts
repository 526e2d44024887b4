import type { JWK } from 'jose';
import { z } from 'zod';
import { DEFAULT_BODY_LIMIT_BYTES } from './json-request.ts';

/**
 * Thrown when the environment does not satisfy a config schema. The message lists every
 * problem at once, one per line, so a learner fixes them all in one go instead of one
 * restart per missing variable.
 */
export class ConfigError extends Error {
  readonly issues: string[];

  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Parses the environment once, at start-up. Nothing else in a service reads `process.env`:
 * the parsed, typed object is passed down explicitly (twelve-factor: config in the environment).
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(withoutEmptyValues(env));
  if (!result.success) {
    throw new ConfigError(result.error.issues.map(describeIssue));
  }
  return result.data;
}

/** The fields every service shares; a service extends it: `serviceConfigSchema.extend({...})`. */
export const serviceConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STAGE: z
    .string()
    .regex(/^\d\d$/, 'expected two digits, e.g. "00"')
    .default('00'),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(DEFAULT_BODY_LIMIT_BYTES),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  // Whose X-Forwarded-For to believe, in Express's terms: 'loopback' locally (the facade of
  // later stages), '1' behind one load balancer. Wrong here, every player shares one rate limit.
  TRUST_PROXY: z
    .string()
    .regex(
      /^(\d+|((loopback|linklocal|uniquelocal|[\d.]+(\/\d+)?|[\da-f:]+(\/\d+)?)(,\s*|$))+)$/i,
      'expected a hop count (e.g. 1) or addresses/ranges (e.g. loopback, 10.0.0.0/16)',
    )
    .default('loopback')
    .transform((value) => (/^\d+$/.test(value) ? Number(value) : value)),
});

export type ServiceConfig = z.infer<typeof serviceConfigSchema>;

/** A JSON Web Key passed as JSON text in one variable, e.g. JWT_PRIVATE_JWK='{"kty":"OKP",…}'. */
export const jwkJsonSchema = z.string().transform((text, ctx): JWK => {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && 'kty' in value) return value as JWK;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'expected a JSON Web Key as JSON text' });
  return z.NEVER;
});

// `PORT=` in a shell or .env file means "not set". Without this, z.coerce.number() would
// silently turn the empty string into 0 instead of applying the default.
function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  const entries = Object.entries(env).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
  );
  return Object.fromEntries(entries);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(root)';
  return `${path}: ${issue.message}`;
}
