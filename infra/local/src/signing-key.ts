import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const KEY_FILE = 'jwt-private.jwk.json';

/**
 * The stage's JWT signing key (a private Ed25519 JWK, as JSON text). Created on first start and kept
 * in the data folder, so that tokens issued before a restart stay valid after it. In the cloud the
 * same key would live in a secrets manager.
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<string> {
  const path = join(dataDir, KEY_FILE);
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing !== null) return existing.trim();
  const jwk = JSON.stringify(generateSigningJwk());
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${jwk}\n`, { mode: 0o600 });
  return jwk;
}

interface Ed25519PrivateJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

function generateSigningJwk(): Ed25519PrivateJwk {
  const { privateKey } = generateKeyPairSync('ed25519');
  const { x, d } = privateKey.export({ format: 'jwk' });
  if (x === undefined || d === undefined) throw new Error('Ed25519 key export failed');
  return { kty: 'OKP', crv: 'Ed25519', x, d, kid: thumbprint(x), alg: 'EdDSA', use: 'sig' };
}

/** RFC 7638 thumbprint: a key id derived from the public key itself. */
function thumbprint(x: string): string {
  const canonical = JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x });
  return createHash('sha256').update(canonical).digest('base64url');
}
