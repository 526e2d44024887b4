import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import {
  createResponseValidator,
  loadContract,
  type Operation,
  openapiPath,
  operationsOfStage,
} from '../src/index.ts';
import { resolveReference } from '../src/spec.ts';

const contract = loadContract();
const { document } = contract;
const operations = [...contract.operations.values()];

/** The endpoints of the public API, as the course's API description lists them. */
const PUBLIC_API = [
  'GET /healthz',
  'GET /readyz',
  'GET /.well-known/jwks.json',
  'POST /api/users',
  'POST /api/sessions',
  'GET /api/me',
  'GET /api/threads',
  'POST /api/threads',
  'GET /api/threads/{id}',
  'POST /api/threads/{id}/posts',
  'GET /api/slots/machine',
  'GET /api/slots/wallet',
  'POST /api/slots/spins',
  'GET /api/slots/spins',
  'GET /api/slots/leaderboard',
  // From stage 04 on (x-since-stage): the titles shop.
  'GET /api/slots/titles',
  'POST /api/slots/purchases',
  'GET /api/slots/purchases/{id}',
];

const REQUEST_SCHEMAS = new Set([
  'NewUser',
  'Credentials',
  'NewThread',
  'NewPost',
  'NewSpin',
  'NewPurchase',
]);

function endpoint(operation: Operation): string {
  return `${operation.method.toUpperCase()} ${operation.path}`;
}

describe('openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();

    const result = await validator.validate(readFileSync(openapiPath, 'utf8'));

    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents exactly the endpoints of the public API', () => {
    expect(operations.map(endpoint).sort()).toEqual([...PUBLIC_API].sort());
  });

  it('holds each stage to the operations it serves: the shop from stage 04 on, none of it without a stage', () => {
    const shop = [
      'GET /api/slots/titles',
      'POST /api/slots/purchases',
      'GET /api/slots/purchases/{id}',
    ];
    const servedBy = (stage: string | undefined) =>
      operationsOfStage(contract, stage).map(endpoint).sort();
    const everyStage = PUBLIC_API.filter((api) => !shop.includes(api)).sort();

    expect(servedBy(undefined)).toEqual(everyStage);
    expect(servedBy('00')).toEqual(everyStage);
    expect(servedBy('03')).toEqual(everyStage);
    expect(servedBy('04')).toEqual([...PUBLIC_API].sort());
    expect(servedBy('05')).toEqual([...PUBLIC_API].sort());
  });

  it('gives every operation a unique operationId', () => {
    const ids = operations.map((operation) => operation.id);

    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares X-Request-Id and X-Served-By as required headers of every response', () => {
    const missing = operations.flatMap((operation) =>
      [...operation.responses].flatMap(([status, response]) =>
        ['X-Request-Id', 'X-Served-By']
          .filter((name) => {
            const header = response.headers?.[name];
            return !header || !resolveReference(document, header).required;
          })
          .map((name) => `${operation.id} ${status} ${name}`),
      ),
    );

    expect(missing).toEqual([]);
  });

  it('answers successes in application/json and errors in application/problem+json', () => {
    const wrong = operations.flatMap((operation) =>
      [...operation.responses]
        .filter(([status, response]) => {
          const types = Object.keys(response.content ?? {});
          const expected = status < 400 ? 'application/json' : 'application/problem+json';
          return types.length !== 1 || types[0] !== expected;
        })
        .map(([status]) => `${operation.id} ${status}`),
    );

    expect(wrong).toEqual([]);
  });

  it('documents 429 with Retry-After on every operation', () => {
    const missing = operations
      .filter((operation) => !operation.responses.get(429)?.headers?.['Retry-After'])
      .map(endpoint);

    expect(missing).toEqual([]);
  });

  it('documents 401 with WWW-Authenticate exactly where a bearer token is required', () => {
    const withToken = operations.filter((operation) => operation.requiresAuth).map(endpoint);
    const with401Challenge = operations
      .filter((operation) => operation.responses.get(401)?.headers?.['WWW-Authenticate'])
      .map(endpoint);

    expect(withToken.sort()).toEqual(
      [
        'GET /api/me',
        'GET /api/slots/spins',
        'GET /api/slots/wallet',
        'POST /api/slots/spins',
        'POST /api/slots/purchases',
        'GET /api/slots/purchases/{id}',
        'POST /api/threads',
        'POST /api/threads/{id}/posts',
      ].sort(),
    );
    expect(with401Challenge.sort()).toEqual(withToken.sort());
  });

  it('documents 400, 413, 415 and 422 for every operation that takes a JSON body', () => {
    const missing = operations
      .filter((operation) => operation.requestSchema !== undefined)
      .flatMap((operation) =>
        [400, 413, 415, 422]
          .filter((status) => !operation.responses.has(status))
          .map((s) => `${operation.id} ${s}`),
      );

    expect(missing).toEqual([]);
  });

  it('closes every response object with additionalProperties: false', () => {
    const open = Object.entries(document.components.schemas)
      .filter(([name, schema]) => schema.type === 'object' && !REQUEST_SCHEMAS.has(name))
      .filter(([, schema]) => schema.additionalProperties !== false)
      .map(([name]) => name);

    expect(open).toEqual([]);
  });

  it('leaves request bodies open, because extra fields are ignored', () => {
    const closed = [...REQUEST_SCHEMAS].filter(
      (name) => document.components.schemas[name]?.additionalProperties !== undefined,
    );

    expect(closed).toEqual([]);
  });

  it('has response examples that satisfy their own schemas', () => {
    const validator = createResponseValidator(contract);

    const failures = operations.flatMap((operation) =>
      [...operation.responses].flatMap(([status, response]) =>
        Object.values(response.content ?? {}).flatMap((media) => {
          const examples = [
            ...(media.example === undefined ? [] : [media.example]),
            ...Object.values(media.examples ?? {}).map((example) => example.value),
          ];
          expect(examples.length, `${operation.id} ${status} has no example`).toBeGreaterThan(0);
          return examples.flatMap((example) =>
            validator.validateBody(operation.id, status, example),
          );
        }),
      ),
    );

    expect(failures).toEqual([]);
  });

  it('has request examples that satisfy the request schemas', () => {
    const validator = createResponseValidator(contract);

    const failures = operations
      .filter((operation) => operation.requestSchema !== undefined)
      .flatMap((operation) => {
        const schemaName = String(operation.requestSchema?.$ref).split('/').pop() ?? '';
        const media = resolveReference(
          document,
          document.paths[operation.path]?.[operation.method]?.requestBody,
        )?.content['application/json'];
        return validator.validateSchema(schemaName, media?.example);
      });

    expect(failures).toEqual([]);
  });
});
