import { DependencyError } from './dependency.ts';

/**
 * Decides whether an error means "a dependency (the database, another service) is unreachable"
 * — answered with 503 so load balancers and clients retry — rather than a bug (500). Drivers
 * wrap errors in each other (pg -> Prisma driver adapter -> Prisma client), so the whole chain
 * is inspected.
 */
export function isDependencyDown(err: unknown): boolean {
  return errorChain(err).some(looksLikeDependencyDown);
}

// Socket-level failures: nothing is listening, the peer went away, or the name does not resolve.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// PostgreSQL SQLSTATEs: 57P01 admin_shutdown (also pg_terminate_backend), 57P02 crash_shutdown,
// 57P03 cannot_connect_now, 57P05 idle_session_timeout and 25P03
// idle_in_transaction_session_timeout (the server closed a connection left idle), 57014
// query_canceled (the statement ran past statement_timeout, or was cancelled by an
// administrator), 53300 too_many_connections; class 08 is "connection exception". The pool
// replaces a connection closed by the server on the next request.
const POSTGRES_CODES = new Set(['57P01', '57P02', '57P03', '57P05', '25P03', '57014', '53300']);
const POSTGRES_CONNECTION_CLASS = /^08[0-9A-Z]{3}$/;

// Prisma: P1001 can't reach server, P1002 timed out, P1008 socket timeout, P1017 server closed
// the connection, P2037 too many connections.
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2037']);

// Prisma's P2028 ("Transaction API error") when the database was too slow for the transaction:
// it could not begin within maxWait, or ran past its timeout. An overloaded database, not a bug;
// the other P2028s (say, a transaction used after it ended) stay 500s.
const PRISMA_TRANSACTION_TOO_SLOW =
  /Unable to start a transaction in the given time|cannot be executed on an expired transaction/i;

// What Prisma's driver adapters call the same situations (DriverAdapterError.cause.kind).
const DRIVER_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);

// node-postgres reports a dead connection or a closed pool with a message and no code.
const PG_MESSAGES = [
  /Connection terminated/i,
  /Cannot use a pool after calling end on the pool/i,
  /Client was closed and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
];

function looksLikeDependencyDown(node: Record<string, unknown>): boolean {
  // A service-to-service call that met an open circuit, a timeout, no connection or a 5xx; its
  // 4xx and wrong-shape failures are bugs, so the chain goes on to the cause (if any) instead.
  if (node instanceof DependencyError && node.dependencyDown) return true;
  const codes = [node.code, node.errorCode, node.originalCode].filter(isString);
  if (codes.some(isDependencyCode)) return true;
  if (node.code === 'P2028' && isString(node.message)) {
    if (PRISMA_TRANSACTION_TOO_SLOW.test(node.message)) return true;
  }
  if (isString(node.kind) && DRIVER_ADAPTER_KINDS.has(node.kind)) return true;
  const message = node.message;
  return isString(message) && PG_MESSAGES.some((pattern) => pattern.test(message));
}

function isDependencyCode(code: string): boolean {
  return (
    NETWORK_CODES.has(code) ||
    POSTGRES_CODES.has(code) ||
    POSTGRES_CONNECTION_CLASS.test(code) ||
    PRISMA_CODES.has(code)
  );
}

/**
 * The error, its `cause`s, the members of an AggregateError (Node reports a refused
 * connection to "localhost" as one, trying IPv4 and IPv6) and Prisma's
 * `meta.driverAdapterError`, breadth-first, each object once.
 */
function errorChain(root: unknown): Record<string, unknown>[] {
  const seen = new Set<object>();
  const queue: unknown[] = [root];
  const chain: Record<string, unknown>[] = [];
  while (queue.length > 0 && chain.length < 32) {
    const node = queue.shift();
    if (!isObject(node) || seen.has(node)) continue;
    seen.add(node);
    chain.push(node);
    queue.push(node.cause);
    if (Array.isArray(node.errors)) queue.push(...node.errors);
    if (isObject(node.meta)) queue.push(node.meta.driverAdapterError);
  }
  return chain;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
