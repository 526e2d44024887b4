import {
  type DatabaseSecret,
  databaseUrlFrom,
  parseConfig,
  signingJwkFromSeed,
} from '@course/service-kit';
import { z } from 'zod';
import { provisioningVariablesOf, SERVICES } from './services.ts';

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

/**
 * Each database secret a container may get, and the URL variable it becomes: a service's own
 * (DATABASE_SECRET), and those of the database provisioning, the only task that holds the RDS
 * master secret (DATABASE_ADMIN_SECRET) along with every service's (USERS_DATABASE_SECRET, …).
 */
const DATABASE_SECRETS = [
  { secret: 'DATABASE_SECRET', url: 'DATABASE_URL' },
  { secret: 'DATABASE_ADMIN_SECRET', url: 'DATABASE_ADMIN_URL' },
  ...SERVICES.map(provisioningVariablesOf),
] as const;
type SecretVariable = (typeof DATABASE_SECRETS)[number]['secret'];
type UrlVariable = (typeof DATABASE_SECRETS)[number]['url'];

const containerSecretsSchema = z.object({
  // Object.fromEntries cannot name its keys; these are exactly DATABASE_SECRETS' variables.
  ...(Object.fromEntries(
    DATABASE_SECRETS.map(({ secret }) => [secret, databaseSecretJson.optional()]),
  ) as Record<SecretVariable, z.ZodOptional<typeof databaseSecretJson>>),
  ...(Object.fromEntries(DATABASE_SECRETS.map(({ url }) => [url, z.string().optional()])) as Record<
    UrlVariable,
    z.ZodOptional<z.ZodString>
  >),
  /** Amazon's RDS certificate bundle, baked into the image, to verify the server with. */
  DATABASE_CA_FILE: z.string().optional(),
  /** A generated secret the users service derives its JWT signing key from. */
  JWT_SIGNING_SEED: z.string().optional(),
  JWT_PRIVATE_JWK: z.string().optional(),
});

/**
 * The environment a service sees in a container platform: `env` plus
 *   DATABASE_SECRET        → DATABASE_URL        (TLS verify-full, against DATABASE_CA_FILE if set)
 *   DATABASE_ADMIN_SECRET  → DATABASE_ADMIN_URL  (the same, for the database provisioning)
 *   USERS_DATABASE_SECRET  → USERS_DATABASE_URL  (the same; and FORUM_…, SLOTS_…)
 *   JWT_SIGNING_SEED       → JWT_PRIVATE_JWK     (derived exactly as stage 00 does on EC2)
 * A variable that is already set wins over its secret. A malformed secret is a ConfigError
 * naming the variable.
 */
export function containerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const secrets = parseConfig(containerSecretsSchema, env);
  const derived: Record<string, string> = {};
  const caFile = secrets.DATABASE_CA_FILE;
  for (const { secret, url } of DATABASE_SECRETS) {
    const value = secrets[secret];
    if (value && !secrets[url]) derived[url] = databaseUrlFrom(value, caFile);
  }
  if (secrets.JWT_SIGNING_SEED && !secrets.JWT_PRIVATE_JWK) {
    derived.JWT_PRIVATE_JWK = JSON.stringify(signingJwkFromSeed(secrets.JWT_SIGNING_SEED));
  }
  return { ...env, ...derived };
}
