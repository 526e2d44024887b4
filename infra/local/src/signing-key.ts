import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ed25519SigningJwk } from '@course/service-kit/signing-key';

const KEY_FILE = 'jwt-private.jwk.json';

/** Where the stage's signing key is kept in its data folder. */
export function signingKeyPath(dataDir: string): string {
  return join(dataDir, KEY_FILE);
}

/**
 * The stage's JWT signing key (a private Ed25519 JWK, as JSON text). Created on first start and kept
 * in the data folder, so that tokens issued before a restart stay valid after it. In the cloud the
 * same key would live in a secrets manager.
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<string> {
  const path = signingKeyPath(dataDir);
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing !== null) return existing.trim();
  const jwk = JSON.stringify(ed25519SigningJwk());
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${jwk}\n`, { mode: 0o600 });
  return jwk;
}
