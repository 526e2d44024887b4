/*
 * POST /api/slots/spins: the one route that moves money, in a function of its own.
 *
 * Why slots is three functions (write, read, ranks) rather than one:
 * - Blast radius: a bad deploy or a bug in the read paths cannot take spins down, and the
 *   function that moves credits is the smallest piece of code that can.
 * - The connection budget, per path: every execution environment holds one database
 *   connection, so a function's concurrency is its share of the database's connections. Split,
 *   each path gets its own ceiling (reserved concurrency, off by default): a flood of wallet
 *   reads or of forum badge lookups cannot take the connections spins need.
 * - Permissions: each function has its own role; only the forum's role may invoke ranks, and
 *   the read function could connect as a database user with SELECT only.
 * - Cost where it matters: provisioned concurrency (paid by the hour) can go where a cold start
 *   hurts and the traffic is steady, rather than on everything. Not a smaller bundle: each
 *   function's bundle is about the same size, most of it the Prisma client they all need, so a
 *   cold start costs each of them about the same.
 */
import { httpSlotsFunction } from '../environment.ts';

export const handler = httpSlotsFunction(({ slots, player }) => ({
  'POST /api/slots/spins': async (request) => {
    const { spin, replayed } = await slots.spin(await player(request), {
      body: request.body,
      idempotencyKey: request.header('idempotency-key'),
    });
    // A replay answers exactly what the first request answered, and says so.
    const headers: Record<string, string> = replayed ? { 'idempotent-replayed': 'true' } : {};
    return { status: 201, body: spin, headers };
  },
}));
