import { describe, expect, it } from 'vitest';
import { DependencyError, problemFor, problems } from '../src/core.ts';
import { connectionRefusedError } from './closed-port.ts';

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

/** An error as body-parser raises it (http-errors): a 4xx status and a type naming the failure. */
function bodyParserError(status: number, type: string): Error {
  return Object.assign(new Error('raised by body-parser'), { status, type, expose: true });
}

describe('problemFor: the one error → problem+json mapping', () => {
  it('answers an HttpError with its status, type, title, detail, errors and headers', () => {
    const error = problems.unauthorized('A bearer token is required.');

    const problem = problemFor(error, '/api/slots/wallet');

    expect(problem).toEqual({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer', 'Content-Type': PROBLEM_JSON },
      body: {
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail: 'A bearer token is required.',
        instance: '/api/slots/wallet',
        errors: undefined,
      },
      logLevel: undefined,
    });
  });

  it('keeps the field errors of a validation problem', () => {
    const error = problems.validation([{ path: 'bet', message: 'Too big' }]);

    const { status, body } = problemFor(error, '/api/slots/spins');

    expect(status).toBe(422);
    expect(body).toMatchObject({
      type: '/problems/validation',
      errors: [{ path: 'bet', message: 'Too big' }],
    });
  });

  it.each([
    [413, 'entity.too.large', 'The request body is too large.'],
    [400, 'entity.parse.failed', 'The request body is not valid JSON.'],
    [415, 'charset.unsupported', 'The request body uses an unsupported charset.'],
    [415, 'encoding.unsupported', 'The request body uses an unsupported Content-Encoding.'],
  ])(
    'answers a body-parser error %i %s with its status and a plain detail',
    (status, type, detail) => {
      const problem = problemFor(bodyParserError(status, type), '/api/threads');

      expect(problem.status).toBe(status);
      expect(problem.body).toMatchObject({ status, detail, type: 'about:blank' });
      expect(problem.logLevel).toBeUndefined();
    },
  );

  it('keeps the 4xx status of any other client error, e.g. a malformed %-escape', () => {
    const problem = problemFor(Object.assign(new URIError('URI malformed'), { status: 400 }), '/x');

    expect(problem.status).toBe(400);
    expect(problem.body.detail).toBeUndefined();
  });

  it('answers 503 when a dependency is down (a refused connection), and logs it as a warning', async () => {
    const problem = problemFor(await connectionRefusedError(), '/api/slots/wallet');

    expect(problem.status).toBe(503);
    expect(problem.body.detail).toBe('A dependency is unavailable; please retry shortly.');
    expect(problem.logLevel).toBe('warn');
  });

  it('answers 503 for a dependency call that timed out', () => {
    const timedOut = new DependencyError({
      dependency: 'ranks',
      reason: 'timeout',
      detail: 'no answer within 50 ms',
      attempts: 3,
    });

    expect(problemFor(timedOut, '/api/threads/1').status).toBe(503);
  });

  it('does not log an HttpError 503 again: its thrower has said why', () => {
    const problem = problemFor(problems.unavailable('The token issuer could not be reached.'), '/');

    expect(problem.status).toBe(503);
    expect(problem.logLevel).toBeUndefined();
  });

  it.each([
    ['an Error', new Error('password=hunter2 at db.ts:42')],
    [
      'a 5xx status on a plain error',
      Object.assign(new Error('password=hunter2'), { status: 502 }),
    ],
    ['a thrown string', 'password=hunter2'],
    ['null', null],
  ])(
    'answers anything else (%s) with a 500 that does not leak it, logged as an error',
    (_, err) => {
      const problem = problemFor(err, '/api/slots/spins');

      expect(problem.status).toBe(500);
      expect(problem.body).toEqual({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred.',
        instance: '/api/slots/spins',
        errors: undefined,
      });
      expect(JSON.stringify(problem)).not.toContain('hunter2');
      expect(problem.logLevel).toBe('error');
    },
  );
});
