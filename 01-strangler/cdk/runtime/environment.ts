import { databaseUrlFrom, readDatabaseSecret } from '@course/constructs/runtime';

/*
 * The slots service's secret environment, built once at boot on each instance by
 * write-environment.mjs from the secrets SlotsService hands to its host, by these names.
 */

/** The names of the host's secrets, i.e. of the files in the secrets folder. */
export const SLOTS_SECRETS = {
  /** The slots service's own database. */
  database: 'database',
  /** The monolith's database, for the one-off wallet handoff only (wallets.mjs). */
  monolithDatabase: 'monolith-database',
} as const;

/** DATABASE_URL and MONOLITH_DATABASE_URL, both verifying the server's TLS certificate. */
export function slotsVariables(secretsDir: string, caBundlePath: string): Record<string, string> {
  const urlOf = (name: string) =>
    databaseUrlFrom(readDatabaseSecret(secretsDir, name), caBundlePath);
  return {
    DATABASE_URL: urlOf(SLOTS_SECRETS.database),
    MONOLITH_DATABASE_URL: urlOf(SLOTS_SECRETS.monolithDatabase),
  };
}
