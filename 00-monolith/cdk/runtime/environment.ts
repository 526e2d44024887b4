import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519SigningJwk } from '@course/service-kit/signing-key';

/*
 * Runs once at boot on each instance (see NodeAppHost's `environmentScript`): reads the secrets the
 * boot script fetched from Secrets Manager and prints the app's secret environment as KEY='value'
 * lines for systemd's EnvironmentFile. Nothing here is ever written to the template or user data.
 */

/** The JSON that RDS's generated secret holds. */
export interface DatabaseSecret {
  username: string;
  password: string;
  host: string;
  port: number;
  dbname: string;
}

/**
 * RDS for PostgreSQL 17 requires TLS; verify-full checks the server's certificate against
 * Amazon's RDS certificate bundle (downloaded at boot) and its host name.
 */
export function databaseUrlFrom(secret: DatabaseSecret, caBundlePath: string): string {
  const user = encodeURIComponent(secret.username);
  const password = encodeURIComponent(secret.password);
  const query = new URLSearchParams({ sslmode: 'verify-full', sslrootcert: caBundlePath });
  return `postgresql://${user}:${password}@${secret.host}:${secret.port}/${secret.dbname}?${query}`;
}

/**
 * The JWT signing key, derived from a generated secret: every instance of the group derives the
 * same key, so a token issued by one is accepted by the others and survives a replacement.
 */
export function signingJwkFrom(seedSecret: string): string {
  return JSON.stringify(
    ed25519SigningJwk(createHash('sha256').update(seedSecret, 'utf8').digest()),
  );
}

/** One EnvironmentFile line. Single quotes keep JSON's double quotes literal in systemd. */
export function environmentLine(key: string, value: string): string {
  if (/['\n\\]/.test(value)) throw new Error(`${key} cannot be written to an environment file`);
  return `${key}='${value}'`;
}

/** The environment file's content from the secrets folder (database.json, jwt-seed.json). */
export function environmentFileFrom(secretsDir: string, caBundlePath: string): string {
  const database = JSON.parse(readFileSync(join(secretsDir, 'database.json'), 'utf8'));
  const jwtSeed = readFileSync(join(secretsDir, 'jwt-seed.json'), 'utf8').trim();
  return [
    environmentLine('DATABASE_URL', databaseUrlFrom(database as DatabaseSecret, caBundlePath)),
    environmentLine('JWT_PRIVATE_JWK', signingJwkFrom(jwtSeed)),
    '',
  ].join('\n');
}
