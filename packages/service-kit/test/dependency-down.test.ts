import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  DependencyError,
  type DependencyFailure,
  HttpError,
  isDependencyDown,
} from '../src/index.ts';
import { connectionRefusedError } from './closed-port.ts';

/** A real ECONNRESET: the peer accepts the connection, then resets it. */
async function connectionResetError(): Promise<Error> {
  const server = createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  try {
    return await new Promise((resolve, reject) => {
      const request = fetch(`http://127.0.0.1:${address.port}/`);
      request.then(() => reject(new Error('expected a reset')), resolve);
    });
  } finally {
    server.close();
  }
}

// The shapes below are what pg, Prisma and its pg driver adapter throw (their code and
// message fields), built by hand because pg and Prisma are not dependencies of this package.
function pgError(code: string, message = 'terminating connection') {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

function prismaKnownRequestError(code: string, adapterCause: Record<string, unknown>) {
  const driverAdapterError = Object.assign(new Error(String(adapterCause.kind)), {
    name: 'DriverAdapterError',
    cause: adapterCause,
  });
  return Object.assign(new Error('Invalid `prisma.user.findMany()` invocation'), {
    name: 'PrismaClientKnownRequestError',
    code,
    meta: { driverAdapterError },
  });
}

describe('isDependencyDown', () => {
  it('recognises a real refused connection', async () => {
    const err = await connectionRefusedError();

    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(isDependencyDown(err)).toBe(true);
  });

  it('recognises a real reset connection wrapped by fetch as its cause', async () => {
    const err = await connectionResetError();

    expect(err.message).toBe('fetch failed');
    expect(isDependencyDown(err)).toBe(true);
  });

  it('recognises a refused connection reported as an AggregateError (IPv4 and IPv6 tried)', () => {
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });

    const err = new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')]);

    expect(isDependencyDown(err)).toBe(true);
  });

  it.each(['ETIMEDOUT', 'EPIPE', 'ECONNRESET'])('recognises the socket error %s', (code) => {
    expect(isDependencyDown(Object.assign(new Error(code), { code }))).toBe(true);
  });

  it.each([
    ['admin shutdown', '57P01'],
    ['crash shutdown', '57P02'],
    ['cannot connect now', '57P03'],
    ['idle session timeout', '57P05'],
    ['idle in transaction session timeout', '25P03'],
    ['statement timeout (query canceled)', '57014'],
    ['connection failure', '08006'],
    ['connection does not exist', '08003'],
  ])('recognises the PostgreSQL %s error (%s)', (_name, code) => {
    expect(isDependencyDown(pgError(code))).toBe(true);
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'Cannot use a pool after calling end on the pool',
  ])('recognises the node-postgres message "%s"', (message) => {
    expect(isDependencyDown(new Error(message))).toBe(true);
  });

  it.each(['P1001', 'P1002', 'P1017'])('recognises the Prisma error code %s', (code) => {
    const err = Object.assign(new Error("Can't reach database server"), { code });

    expect(isDependencyDown(err)).toBe(true);
  });

  it('recognises a Prisma initialization error by its errorCode', () => {
    const err = Object.assign(new Error("Can't reach database server"), {
      name: 'PrismaClientInitializationError',
      errorCode: 'P1001',
    });

    expect(isDependencyDown(err)).toBe(true);
  });

  it('recognises a driver adapter error that wraps a PostgreSQL shutdown', () => {
    const err = prismaKnownRequestError('P2039', {
      kind: 'postgres',
      code: '57P01',
      originalCode: '57P01',
      message: 'terminating connection due to administrator command',
    });

    expect(isDependencyDown(err)).toBe(true);
  });

  it('recognises a transaction the busy database could not start or finish in time (P2028)', () => {
    const notStarted = Object.assign(
      new Error('Transaction API error: Unable to start a transaction in the given time.'),
      { name: 'PrismaClientKnownRequestError', code: 'P2028' },
    );
    const expired = Object.assign(
      new Error(
        'Transaction already closed: A commit cannot be executed on an expired transaction. ' +
          'The timeout for this transaction was 5000 ms, however 5012 ms passed since the start ' +
          'of the transaction.',
      ),
      { name: 'PrismaClientKnownRequestError', code: 'P2028' },
    );

    expect(isDependencyDown(notStarted)).toBe(true);
    expect(isDependencyDown(expired)).toBe(true);
  });

  it('treats any other P2028, such as a transaction used after it ended, as a bug', () => {
    const misuse = Object.assign(
      new Error(
        'Transaction API error: Transaction already closed: A query cannot be executed on a ' +
          'committed transaction.',
      ),
      { name: 'PrismaClientKnownRequestError', code: 'P2028' },
    );

    expect(isDependencyDown(misuse)).toBe(false);
  });

  it('recognises an unreachable database reported by the driver adapter', () => {
    const err = prismaKnownRequestError('P1001', { kind: 'DatabaseNotReachable' });

    expect(isDependencyDown(err)).toBe(true);
  });

  it('recognises a cause several levels deep', () => {
    const root = pgError('57P01');
    const err = new Error('outer', { cause: new Error('middle', { cause: root }) });

    expect(isDependencyDown(err)).toBe(true);
  });

  it.each([
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
    [
      'a Prisma unique violation',
      prismaKnownRequestError('P2002', { kind: 'UniqueConstraintViolation' }),
    ],
    ['an HTTP problem', new HttpError(404)],
    ['a string', 'ECONNREFUSED'],
    ['undefined', undefined],
  ])('rejects %s', (_case, err) => {
    expect(isDependencyDown(err)).toBe(false);
  });

  it.each<[DependencyFailure, number | undefined, boolean]>([
    ['circuit-open', undefined, true],
    ['timeout', undefined, true],
    ['unreachable', undefined, true],
    ['bad-status', 503, true],
    ['bad-status', 500, true],
    ['bad-status', 404, false],
    ['bad-answer', undefined, false],
  ])('takes a service call that failed with %s %s as down: %s', (reason, status, down) => {
    const err = new DependencyError({
      dependency: 'slots',
      reason,
      detail: 'test',
      attempts: 1,
      ...(status === undefined ? {} : { status }),
    });

    expect(isDependencyDown(err)).toBe(down);
  });

  it('terminates on a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });

    expect(isDependencyDown(a)).toBe(false);
  });
});
