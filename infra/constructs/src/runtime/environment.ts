import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseSecret } from '@course/service-kit/database-url';

/*
 * Helpers for a NodeAppHost's `environmentScript`, the code that runs once at boot on each
 * instance: it reads the secrets the boot script fetched from Secrets Manager (one
 * `<name>.json` file per entry of the host's `secrets`) and prints the app's secret environment
 * as KEY='value' lines for systemd's EnvironmentFile. Nothing here is ever written to the
 * template or the user data. Each stage's script says which secret becomes which variable, e.g.
 *
 *   printEnvironmentFile((secrets, caBundlePath) => ({
 *     DATABASE_URL: databaseUrlFrom(readDatabaseSecret(secrets, 'database'), caBundlePath),
 *   }));
 *
 * Plain JavaScript with no CDK import: esbuild bundles it into the app (see node-app-bundle.ts).
 */

// The secret → URL rule is shared with stage 02's containers, which must not depend on this
// CDK package: it lives in the service kit.
export type { DatabaseSecret } from '@course/service-kit/database-url';
export { databaseUrlFrom } from '@course/service-kit/database-url';

/**
 * Where the boot script puts Amazon's RDS certificate bundle: next to the environment script,
 * in the app folder (see the `setupCommands` that download it).
 */
export const RDS_CA_BUNDLE_FILE = 'rds-ca.pem';

/** One secret's value as the boot script saved it: `<secretsDir>/<name>.json`. */
export function readSecret(secretsDir: string, name: string): string {
  return readFileSync(join(secretsDir, `${name}.json`), 'utf8').trim();
}

/** An RDS secret (the JSON above) from the secrets folder. */
export function readDatabaseSecret(secretsDir: string, name: string): DatabaseSecret {
  return JSON.parse(readSecret(secretsDir, name)) as DatabaseSecret;
}

/** One EnvironmentFile line. Single quotes keep JSON's double quotes literal in systemd. */
export function environmentLine(key: string, value: string): string {
  if (/['\n\\]/.test(value)) throw new Error(`${key} cannot be written to an environment file`);
  return `${key}='${value}'`;
}

/** A whole EnvironmentFile, one line per variable, in the given order. */
export function environmentFile(variables: Record<string, string>): string {
  return [...Object.entries(variables).map(([key, value]) => environmentLine(key, value)), ''].join(
    '\n',
  );
}

/** How a stage turns its secrets folder into variables (see the example at the top). */
export type SecretVariables = (secretsDir: string, caBundlePath: string) => Record<string, string>;

/**
 * The body of an `environmentScript`: `node write-environment.mjs <secrets dir>` prints the
 * environment file built by `variables`. Bundled, `import.meta.url` is the bundle's own file, so
 * the CA bundle is looked up in the app folder.
 */
export function printEnvironmentFile(variables: SecretVariables): void {
  const caBundlePath = fileURLToPath(new URL(RDS_CA_BUNDLE_FILE, import.meta.url));
  const [secretsDir] = process.argv.slice(2);
  if (secretsDir === undefined) {
    process.stderr.write('usage: write-environment.mjs <secrets dir>\n');
    process.exitCode = 2;
    return;
  }
  process.stdout.write(environmentFile(variables(secretsDir, caBundlePath)));
}
