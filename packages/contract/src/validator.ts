import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import {
  type Contract,
  type JsonSchema,
  loadContract,
  type OperationId,
  type ResponseObject,
  resolveReference,
} from './spec.ts';

// ajv-formats is CommonJS; under `nodenext` its default export arrives as `.default`.
const addFormats = ajvFormats.default;

/** Where the document's `components.schemas` live once registered with Ajv as `$defs`. */
const COMPONENTS_ID = 'https://course.example/contract/components.json';

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HeaderReader {
  get(name: string): string | null;
}

/** What the validator needs to know about one HTTP exchange. */
export interface ObservedResponse {
  /** The operation that was called; null for a request that matches no operation (a 404). */
  operationId: OperationId | null;
  status: number;
  headers: HeaderReader;
  /** The raw response body. */
  text: string;
  /**
   * The X-Request-Id the client sent (null: none). When given, the response must echo a valid
   * one and replace an invalid or missing one with a fresh UUID.
   */
  sentRequestId?: string | null;
}

export interface ResponseValidator {
  /** Every way the response breaks the contract, as readable sentences; empty when it conforms. */
  validate(response: ObservedResponse): string[];
  /** Checks only a JSON body against the documented schema of operation + status. */
  validateBody(operationId: OperationId, status: number, body: unknown): string[];
  /** Checks a value against one of `components.schemas`, e.g. `Problem`. */
  validateSchema(name: string, value: unknown): string[];
}

interface CompiledResponse {
  mediaTypes: Map<string, ValidateFunction>;
  headers: { name: string; required: boolean; check: ValidateFunction }[];
}

/**
 * Builds a validator for every documented response of openapi.yaml. OpenAPI 3.1 schemas are
 * JSON Schema 2020-12, so Ajv's 2020 dialect validates them as they are; only the
 * `#/components/schemas/...` references are re-pointed at a schema registered under its own id.
 */
export function createResponseValidator(contract: Contract = loadContract()): ResponseValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addSchema({
    $id: COMPONENTS_ID,
    $defs: repointReferences(contract.document.components.schemas),
  });

  const compile = (schema: JsonSchema): ValidateFunction =>
    ajv.compile(repointReferences(schema) as JsonSchema);
  const compileResponse = (response: ResponseObject): CompiledResponse => ({
    mediaTypes: new Map(
      Object.entries(response.content ?? {}).map(([type, media]) => [type, compile(media.schema)]),
    ),
    headers: Object.entries(response.headers ?? {}).map(([name, header]) => {
      const resolved = resolveReference(contract.document, header);
      return { name, required: resolved.required === true, check: compile(resolved.schema) };
    }),
  });

  const byOperation = new Map<OperationId, Map<number, CompiledResponse>>();
  for (const operation of contract.operations.values()) {
    const statuses = new Map<number, CompiledResponse>();
    for (const [status, response] of operation.responses) {
      statuses.set(status, compileResponse(response));
    }
    byOperation.set(operation.id, statuses);
  }
  // A request that matches no route gets the document's generic 404.
  const notFound = contract.document.components.responses.NotFound;
  if (!notFound) throw new Error('openapi.yaml must define components.responses.NotFound');
  const unknownRoute = new Map([[404, compileResponse(notFound)]]);
  const problem = ajv.compile({ $ref: `${COMPONENTS_ID}#/$defs/Problem` });

  function validate(response: ObservedResponse): string[] {
    const label = `${response.operationId ?? 'unknown route'} → ${response.status}`;
    const documented = response.operationId ? byOperation.get(response.operationId) : unknownRoute;
    if (!documented) return [`${label}: no such operation in openapi.yaml`];
    const violations = checkRequestId(response);
    const expected = documented.get(response.status);
    if (expected) {
      violations.push(...checkHeaders(response, expected), ...checkBody(response, expected));
    } else {
      const statuses = [...documented.keys()].join(', ');
      violations.push(`status ${response.status} is not documented (documented: ${statuses})`);
      if (response.status >= 400) violations.push(...checkProblem(response, problem));
    }
    return violations.map((violation) => `${label}: ${violation}`);
  }

  function validateBody(operationId: OperationId, status: number, body: unknown): string[] {
    const expected = byOperation.get(operationId)?.get(status);
    if (!expected) return [`${operationId} → ${status}: status is not documented`];
    const [check] = expected.mediaTypes.values();
    return check ? schemaErrors(check, body) : [];
  }

  function validateSchema(name: string, value: unknown): string[] {
    const check = ajv.getSchema(`${COMPONENTS_ID}#/$defs/${name}`);
    if (!check) return [`no schema named ${name}`];
    return schemaErrors(check, value);
  }

  return { validate, validateBody, validateSchema };
}

function checkRequestId(response: ObservedResponse): string[] {
  if (response.sentRequestId === undefined) return [];
  const received = response.headers.get('x-request-id');
  const sent = response.sentRequestId;
  if (sent !== null && REQUEST_ID_PATTERN.test(sent)) {
    return received === sent ? [] : [`X-Request-Id ${show(received)} does not echo ${show(sent)}`];
  }
  return received !== null && UUID_PATTERN.test(received)
    ? []
    : [`X-Request-Id ${show(received)} should be a fresh UUID (sent ${show(sent)})`];
}

function checkHeaders(response: ObservedResponse, expected: CompiledResponse): string[] {
  const violations: string[] = [];
  for (const header of expected.headers) {
    const value = response.headers.get(header.name);
    if (value === null) {
      if (header.required) violations.push(`missing header ${header.name}`);
    } else if (!header.check(value)) {
      violations.push(`header ${header.name}: ${show(value)} ${formatErrors(header.check.errors)}`);
    }
  }
  return violations;
}

function checkBody(response: ObservedResponse, expected: CompiledResponse): string[] {
  if (expected.mediaTypes.size === 0) return [];
  const mediaType = mediaTypeOf(response.headers.get('content-type'));
  const check = expected.mediaTypes.get(mediaType);
  if (!check) {
    return [
      `Content-Type ${show(response.headers.get('content-type'))}, expected ${[...expected.mediaTypes.keys()].join(' or ')}`,
    ];
  }
  const body = parseJson(response.text);
  if (!body.ok) return [`body is not JSON: ${show(response.text.slice(0, 200))}`];
  return schemaErrors(check, body.value).map((e) => `body ${e}`);
}

/** Used for statuses the document does not list: an error must still be a problem. */
function checkProblem(response: ObservedResponse, problem: ValidateFunction): string[] {
  const mediaType = mediaTypeOf(response.headers.get('content-type'));
  if (mediaType !== 'application/problem+json') {
    return [`Content-Type ${show(mediaType)}, expected application/problem+json`];
  }
  const body = parseJson(response.text);
  if (!body.ok) return [`body is not JSON: ${show(response.text.slice(0, 200))}`];
  return schemaErrors(problem, body.value).map((e) => `problem ${e}`);
}

function schemaErrors(check: ValidateFunction, value: unknown): string[] {
  return check(value) ? [] : [formatErrors(check.errors)];
}

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => {
      const where = e.instancePath === '' ? '(root)' : e.instancePath;
      const extra =
        'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : '';
      return `${where} ${e.message ?? 'is invalid'}${extra}`;
    })
    .join('; ');
}

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function show(value: string | null | undefined): string {
  return value === null || value === undefined ? 'none' : JSON.stringify(value);
}

/** Deep copy with `#/components/schemas/X` rewritten to the registered components schema. */
function repointReferences(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(repointReferences);
  if (typeof node !== 'object' || node === null) return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] =
      key === '$ref' && typeof value === 'string'
        ? value.replace('#/components/schemas/', `${COMPONENTS_ID}#/$defs/`)
        : repointReferences(value);
  }
  return copy;
}
