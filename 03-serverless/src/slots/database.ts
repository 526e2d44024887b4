import { Signer } from '@aws-sdk/rds-signer';
import { createDb } from '@course/strangler/slots/store';
import type { DatabaseConfig } from './config.ts';

/**
 * The slots database of one execution environment: Prisma over a pool of exactly one
 * connection. An environment runs one event at a time, so a second connection would only sit
 * idle; and Lambda scales by adding environments, so the database sees as many connections as
 * there are environments — the connection budget is the function's concurrency.
 *
 * On AWS the connection's password is an RDS IAM authentication token, made by the pool each
 * time it opens a connection (pg calls a password function per connection; a token is valid
 * for 15 minutes for opening one, and an open connection outlives it). TLS is required and the
 * server's certificate verified: Node.js runtimes from 20 on do not trust the RDS certificate
 * authorities by default, so the function sets NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem
 * (the runtime's bundle, which includes them) and Node reads it at start.
 */
export function connectSlotsDatabase(database: DatabaseConfig) {
  if (database.kind === 'url') return createDb(database.url, 1);
  const signer = new Signer({
    hostname: database.host,
    port: database.port,
    username: database.user,
    region: database.region,
  });
  return createDb(
    {
      host: database.host,
      port: database.port,
      database: database.name,
      user: database.user,
      password: () => signer.getAuthToken(),
      ssl: { rejectUnauthorized: true },
    },
    1,
  );
}
