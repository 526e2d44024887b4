import {
  type DatabaseSecret,
  databaseUrlFrom,
  parseConfig,
  signingJwkFromSeed,
} from '@course/service-kit';
import { z } from 'zod';

/*
 * On ECS, secrets reach a container as whole Secrets Manager values: the JSON of a database
 * secret, a generated seed. This maps them to the variables the services already read, so a
 * service only ever sees DATABASE_URL and JWT_PRIVATE_JWK, wherever it runs. Locally and in
 * docker compose those two are set directly, and then they win.
 */

/**
 * The checks of service-kit's `DatabaseSecret` (the shape `databaseUrlFrom` takes), which the
 * compiler keeps in step with it. Other keys (engine, …) are ignored.
 */
const databaseSecretSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  host: z.string().min(1),
  // Secrets Manager stores a number; a hand-written secret may hold "5432".
  port: z.coerce.number().int().min(1).max(65_535),
  dbname: z.string().min(1),
}) satisfies z.ZodType<DatabaseSecret>;

/**
 * A database secret as JSON text. Never report JSON.parse's own message: it quotes the text,
 * and the text holds a password.
 */
const databaseSecretJson = z
  .string()
  .transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'expected the JSON of a database secret {username, password, host, port, dbname}',
      });
      return z.NEVER;
    }
  })
  .pipe(databaseSecretSchema);

const containerSecretsSchema = z.object({
  /** The service's own database secret (ECS: from Secrets Manager). */
  DATABASE_SECRET: databaseSecretJson.optional(),
  /** The RDS master secret: only the database setup container gets it. */
  DATABASE_ADMIN_SECRET: databaseSecretJson.optional(),
  /** Amazon's RDS certificate bundle, baked into the image, to verify the server with. */
  DATABASE_CA_FILE: z.string().optional(),
  /** A generated secret the users service derives its JWT signing key from. */
  JWT_SIGNING_SEED: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  DATABASE_ADMIN_URL: z.string().optional(),
  JWT_PRIVATE_JWK: z.string().optional(),
});

/**
 * The environment a service sees in a container platform: `env` plus
 *   DATABASE_SECRET        → DATABASE_URL        (TLS verify-full, against DATABASE_CA_FILE if set)
 *   DATABASE_ADMIN_SECRET  → DATABASE_ADMIN_URL  (the same, for the database setup)
 *   JWT_SIGNING_SEED       → JWT_PRIVATE_JWK     (derived exactly as stage 00 does on EC2)
 * A variable that is already set wins over its secret. A malformed secret is a ConfigError
 * naming the variable.
 */
export function containerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const secrets = parseConfig(containerSecretsSchema, env);
  const derived: Record<string, string> = {};
  const caFile = secrets.DATABASE_CA_FILE;
  if (secrets.DATABASE_SECRET && !secrets.DATABASE_URL) {
    derived.DATABASE_URL = databaseUrlFrom(secrets.DATABASE_SECRET, caFile);
  }
  if (secrets.DATABASE_ADMIN_SECRET && !secrets.DATABASE_ADMIN_URL) {
    derived.DATABASE_ADMIN_URL = databaseUrlFrom(secrets.DATABASE_ADMIN_SECRET, caFile);
  }
  if (secrets.JWT_SIGNING_SEED && !secrets.JWT_PRIVATE_JWK) {
    derived.JWT_PRIVATE_JWK = JSON.stringify(signingJwkFromSeed(secrets.JWT_SIGNING_SEED));
  }
  return { ...env, ...derived };
}
