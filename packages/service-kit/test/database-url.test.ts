import { describe, expect, it } from 'vitest';
import { databaseUrlFrom } from '../src/index.ts';

const rdsSecret = {
  username: 'forum',
  password: "p=ss w0rd%with:odd/chars@#?&'",
  host: 'db.abc.us-east-1.rds.amazonaws.com',
  port: 5432,
  dbname: 'forum',
};

describe('databaseUrlFrom', () => {
  it('keeps every character of the credentials through URL encoding', () => {
    const url = new URL(databaseUrlFrom(rdsSecret, '/etc/ssl/certs/rds.pem'));

    expect(decodeURIComponent(url.username)).toBe(rdsSecret.username);
    expect(decodeURIComponent(url.password)).toBe(rdsSecret.password);
    expect(url.host).toBe(`${rdsSecret.host}:5432`);
    expect(url.pathname).toBe('/forum');
  });

  it('keeps a database name that URLs would misread', () => {
    const url = new URL(databaseUrlFrom({ ...rdsSecret, dbname: 'forum?v2#x' }));

    expect(decodeURIComponent(url.pathname.slice(1))).toBe('forum?v2#x');
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
  });

  it('verifies the server certificate against the given CA bundle', () => {
    const url = new URL(databaseUrlFrom(rdsSecret, '/etc/ssl/certs/rds.pem'));

    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    expect(url.searchParams.get('sslrootcert')).toBe('/etc/ssl/certs/rds.pem');
  });

  it('still requires a verified TLS connection when no CA bundle is given', () => {
    const url = new URL(databaseUrlFrom(rdsSecret));

    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    expect(url.searchParams.has('sslrootcert')).toBe(false);
  });

  it('holds no single quote, so it fits a single-quoted environment file line', () => {
    expect(databaseUrlFrom(rdsSecret, '/opt/app/rds-ca.pem')).not.toContain("'");
  });
});
