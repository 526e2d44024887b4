import { Signer } from '@aws-sdk/rds-signer';
import { createDb } from '@course/strangler/slots/store';
import type { PoolConfig } from 'pg';
import type { DatabaseConfig } from './config.ts';

/**
 * The longest one SQL statement may run, enforced by the server: a query stuck on a lock ends
 * there instead of holding the environment's one connection after the request was answered
 * (the HTTP adapter answers 503 shortly before the function's timeout).
 */
export const STATEMENT_TIMEOUT_MS = 3_000;

/**
 * How the environment keeps its one connection. pg's pool closes a connection idle for 10 s by
 * default, and an environment is idle between events most of the time: every request after a
 * pause would open a new connection (a new IAM token, a new TLS handshake). So it is never closed
 * for idleness here, and TCP keep-alive lets the operating system notice a dead peer. When the
 * server closes it anyway (idle_session_timeout, a restart, pg_terminate_backend) the request
 * that finds it closed gets a 503 and the pool opens a new one for the next.
 */
const ONE_CONNECTION = {
  max: 1,
  idleTimeoutMillis: 0,
  keepAlive: true,
  statement_timeout: STATEMENT_TIMEOUT_MS,
} satisfies PoolConfig;

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
  return createDb(poolConfig(database));
}

/** The pool's settings for one environment; exported for the test that checks them on a server. */
export function poolConfig(database: DatabaseConfig): PoolConfig {
  if (database.kind === 'url') return { ...ONE_CONNECTION, connectionString: database.url };
  const signer = new Signer({
    hostname: database.host,
    port: database.port,
    username: database.user,
    region: database.region,
  });
  return {
    ...ONE_CONNECTION,
    host: database.host,
    port: database.port,
    database: database.name,
    user: database.user,
    password: () => signer.getAuthToken(),
    ssl: { rejectUnauthorized: true },
  };
}
