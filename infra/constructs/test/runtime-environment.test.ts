import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  databaseUrlFrom,
  environmentFile,
  environmentLine,
  readDatabaseSecret,
  readSecret,
} from '../src/runtime/environment.ts';

const rdsSecret = {
  username: 'slots',
  password: "p=ss w0rd%with:odd/chars@#?&'",
  host: 'db.abc.us-east-1.rds.amazonaws.com',
  port: 5432,
  dbname: 'slots',
};

let secretsDir: string;
beforeEach(() => {
  secretsDir = mkdtempSync(join(tmpdir(), 'secrets-'));
});
afterEach(() => rmSync(secretsDir, { recursive: true, force: true }));

describe('the environment script helpers of a NodeAppHost', () => {
  it('reads an RDS secret by name from the secrets folder the boot script fills', () => {
    writeFileSync(join(secretsDir, 'database.json'), `${JSON.stringify(rdsSecret)}\n`);
    writeFileSync(join(secretsDir, 'seed.json'), 'some-seed\n');

    expect(readDatabaseSecret(secretsDir, 'database')).toEqual(rdsSecret);
    expect(readSecret(secretsDir, 'seed')).toBe('some-seed');
  });

  it('builds a TLS-verifying database URL whose password survives any character', () => {
    const url = new URL(databaseUrlFrom(rdsSecret, '/opt/app/rds-ca.pem'));

    expect(decodeURIComponent(url.password)).toBe(rdsSecret.password);
    expect(url.host).toBe(`${rdsSecret.host}:5432`);
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    expect(url.searchParams.get('sslrootcert')).toBe('/opt/app/rds-ca.pem');
    // Percent-encoded, the URL itself holds no quote that would end its environment line.
    expect(() => environmentLine('DATABASE_URL', url.href)).not.toThrow();
  });

  it('writes one quoted line per variable, in order, ending with a newline', () => {
    expect(environmentFile({ B: 'two', A: '{"json":1}' })).toBe(`B='two'\nA='{"json":1}'\n`);
    expect(() => environmentFile({ X: "it's" })).toThrow(/X cannot be written/);
  });
});
