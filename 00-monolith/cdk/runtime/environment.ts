import {
  databaseUrlFrom,
  environmentFile,
  readDatabaseSecret,
  readSecret,
} from '@course/constructs/runtime';
import { signingJwkFromSeed } from '@course/service-kit/signing-seed';

/*
 * The monolith's secret environment, built once at boot on each instance by
 * write-environment.mjs from the secrets MonolithStack hands to its host (`database`,
 * `jwt-seed`). The generic part (RDS secret → TLS-verifying URL, the file format) is shared with
 * every stage in @course/constructs/runtime.
 */

export { type DatabaseSecret, databaseUrlFrom, environmentLine } from '@course/constructs/runtime';

/**
 * JWT_PRIVATE_JWK, derived from a generated secret: every instance of the group derives the
 * same key, so a token issued by one is accepted by the others and survives a replacement.
 */
export function signingJwkFrom(seedSecret: string): string {
  return JSON.stringify(signingJwkFromSeed(seedSecret));
}

/** DATABASE_URL and JWT_PRIVATE_JWK from the secrets folder (database.json, jwt-seed.json). */
export function monolithVariables(
  secretsDir: string,
  caBundlePath: string,
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrlFrom(readDatabaseSecret(secretsDir, 'database'), caBundlePath),
    JWT_PRIVATE_JWK: signingJwkFrom(readSecret(secretsDir, 'jwt-seed')),
  };
}

/** The environment file's content from the secrets folder. */
export function environmentFileFrom(secretsDir: string, caBundlePath: string): string {
  return environmentFile(monolithVariables(secretsDir, caBundlePath));
}
