import { describe, expect, it } from 'vitest';
import { createResponseValidator, type ObservedResponse } from '../src/index.ts';

const validator = createResponseValidator();

const USER = { id: '0b7c6f2e-5d1a-4c57-9f0e-2f6a3d1b8c44', username: 'alice_01' };
const SPIN = {
  id: '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  bet: 5,
  payout: 0,
  reels: ['cherry', 'robot', 'puppy'],
  balance: 95,
  createdAt: '2026-11-22T10:10:00.000Z',
};

/** A conforming exchange, to be broken one way at a time. */
function exchange(
  overrides: Partial<ObservedResponse> & { headerValues?: Record<string, string> },
): ObservedResponse {
  const headerValues: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': 'req-1',
    'x-served-by': 'monolith@00 (process)',
    ...overrides.headerValues,
  };
  const headers = new Headers(Object.entries(headerValues).filter(([, value]) => value !== ''));
  return {
    operationId: 'createUser',
    status: 201,
    text: JSON.stringify(USER),
    sentRequestId: 'req-1',
    headers,
    ...overrides,
  };
}

function problemExchange(
  status: number,
  problem: Record<string, unknown>,
  extraHeaders: Record<string, string> = {},
) {
  return exchange({
    operationId: 'getMe',
    status,
    text: JSON.stringify(problem),
    headerValues: { 'content-type': 'application/problem+json', ...extraHeaders },
  });
}

describe('validateBody', () => {
  it('accepts a body that matches the documented schema', () => {
    expect(validator.validateBody('createUser', 201, USER)).toEqual([]);
    expect(validator.validateBody('createSpin', 201, SPIN)).toEqual([]);
  });

  it('rejects a body with a missing field', () => {
    const { balance: _dropped, ...withoutBalance } = SPIN;

    expect(validator.validateBody('createSpin', 201, withoutBalance).join()).toMatch(/balance/);
  });

  it('rejects a body with an extra field', () => {
    const errors = validator.validateBody('createUser', 201, { ...USER, passwordHash: 'scrypt$…' });

    expect(errors.join()).toMatch(/additional properties \(passwordHash\)/);
  });

  it('rejects a malformed uuid and date-time', () => {
    expect(validator.validateBody('createUser', 201, { ...USER, id: '42' }).join()).toMatch(
      /\/id must match format "uuid"/,
    );
    expect(
      validator.validateBody('createSpin', 201, { ...SPIN, createdAt: 'yesterday' }).join(),
    ).toMatch(/\/createdAt must match format "date-time"/);
  });

  it('rejects a value of the wrong type and a negative balance', () => {
    expect(validator.validateBody('createSpin', 201, { ...SPIN, bet: '5' })).not.toEqual([]);
    expect(validator.validateBody('createSpin', 201, { ...SPIN, balance: -1 })).not.toEqual([]);
  });

  it('rejects a private key member in the published key set', () => {
    const key = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };

    expect(validator.validateBody('getJwks', 200, { keys: [key] })).toEqual([]);
    expect(validator.validateBody('getJwks', 200, { keys: [{ ...key, d: 'secret' }] })).not.toEqual(
      [],
    );
  });

  it('checks problems per status: the right type, status and, for validation, errors', () => {
    const validation = { type: '/problems/validation', title: 'Validation failed', status: 422 };

    expect(
      validator.validateBody('createUser', 422, {
        ...validation,
        errors: [{ path: 'username', message: 'x' }],
      }),
    ).toEqual([]);
    expect(validator.validateBody('createUser', 422, validation)).not.toEqual([]);
    expect(
      validator.validateBody('createUser', 409, {
        type: '/problems/insufficient-credits',
        title: 'x',
        status: 409,
      }),
    ).not.toEqual([]);
    expect(
      validator.validateBody('createSpin', 409, {
        type: '/problems/insufficient-credits',
        title: 'x',
        status: 400,
      }),
    ).not.toEqual([]);
  });

  it('says so when a status is not documented', () => {
    expect(validator.validateBody('getHealth', 404, {})).toEqual([
      'getHealth → 404: status is not documented',
    ]);
  });
});

describe('validate (a whole exchange)', () => {
  it('accepts a conforming exchange', () => {
    expect(validator.validate(exchange({}))).toEqual([]);
  });

  it('rejects an undocumented status', () => {
    const violations = validator.validate(
      exchange({ operationId: 'getHealth', status: 500, text: '{}' }),
    );

    expect(violations.join()).toMatch(/status 500 is not documented/);
  });

  it('rejects a success answered with the wrong content type', () => {
    const violations = validator.validate(
      exchange({ headerValues: { 'content-type': 'text/html' } }),
    );

    expect(violations.join()).toMatch(/Content-Type "text\/html", expected application\/json/);
  });

  it('rejects an error that is plain JSON instead of problem+json', () => {
    const violations = validator.validate(
      exchange({
        operationId: 'getThread',
        status: 404,
        text: JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 }),
      }),
    );

    expect(violations.join()).toMatch(/expected application\/problem\+json/);
  });

  it('rejects a body that is not JSON', () => {
    expect(validator.validate(exchange({ text: '<html>' })).join()).toMatch(/body is not JSON/);
  });

  it('rejects a missing or malformed X-Served-By', () => {
    expect(validator.validate(exchange({ headerValues: { 'x-served-by': '' } })).join()).toMatch(
      /missing header X-Served-By/,
    );
    expect(
      validator.validate(exchange({ headerValues: { 'x-served-by': 'Monolith' } })).join(),
    ).toMatch(/header X-Served-By/);
  });

  it('requires a valid X-Request-Id to be echoed, and an invalid one to be replaced by a UUID', () => {
    const notEchoed = exchange({ headerValues: { 'x-request-id': 'something-else' } });
    const invalidKept = exchange({
      sentRequestId: 'bad id',
      headerValues: { 'x-request-id': 'bad-id' },
    });
    const invalidReplaced = exchange({
      sentRequestId: 'bad id',
      headerValues: { 'x-request-id': '3f1d2c3b-4a5e-4f6a-8b7c-9d0e1f2a3b4c' },
    });

    expect(validator.validate(notEchoed).join()).toMatch(/does not echo/);
    expect(validator.validate(invalidKept).join()).toMatch(/should be a fresh UUID/);
    expect(validator.validate(invalidReplaced)).toEqual([]);
  });

  it('requires WWW-Authenticate: Bearer on a 401 for a missing token', () => {
    const problem = { type: 'about:blank', title: 'Unauthorized', status: 401 };

    expect(
      validator.validate(problemExchange(401, problem, { 'www-authenticate': 'Bearer' })),
    ).toEqual([]);
    expect(validator.validate(problemExchange(401, problem)).join()).toMatch(
      /missing header WWW-Authenticate/,
    );
  });

  it('rejects a problem whose status disagrees with the HTTP status', () => {
    const problem = { type: 'about:blank', title: 'Unauthorized', status: 403 };

    expect(
      validator.validate(problemExchange(401, problem, { 'www-authenticate': 'Bearer' })),
    ).not.toEqual([]);
  });

  it('treats a request that matches no operation as a documented 404 problem', () => {
    const notFound = { type: 'about:blank', title: 'Not Found', status: 404, instance: '/nope' };
    const unknownRoute = (status: number) =>
      exchange({
        operationId: null,
        status,
        text: JSON.stringify({ ...notFound, status }),
        headerValues: { 'content-type': 'application/problem+json' },
      });

    expect(validator.validate(unknownRoute(404))).toEqual([]);
    expect(validator.validate(unknownRoute(405)).join()).toMatch(/status 405 is not documented/);
  });
});
