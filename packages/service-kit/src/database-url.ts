/*
 * A database secret as AWS generates it (RDS's master secret, a Secrets Manager database
 * secret), turned into the one variable every service reads: DATABASE_URL. Shared by the EC2
 * boot scripts of stages 00–01 and the containers of stage 02, so both build the same URL.
 */

/** The JSON of an RDS / Secrets Manager database secret. Other keys (engine, …) are ignored. */
export interface DatabaseSecret {
  username: string;
  password: string;
  host: string;
  port: number;
  dbname: string;
}

/**
 * The URL to connect with. RDS for PostgreSQL requires TLS; verify-full checks the server's
 * certificate and its host name, against `caBundlePath` (Amazon's RDS certificate bundle) when
 * given, else against the CAs Node trusts.
 */
export function databaseUrlFrom(secret: DatabaseSecret, caBundlePath?: string): string {
  const user = urlComponent(secret.username);
  const password = urlComponent(secret.password);
  const query = new URLSearchParams({ sslmode: 'verify-full' });
  if (caBundlePath !== undefined) query.set('sslrootcert', caBundlePath);
  const database = urlComponent(secret.dbname);
  return `postgresql://${user}:${password}@${secret.host}:${secret.port}/${database}?${query}`;
}

/** Percent-encoded, quotes included, so that the URL fits in a single-quoted environment line. */
function urlComponent(text: string): string {
  return encodeURIComponent(text).replaceAll("'", '%27');
}
