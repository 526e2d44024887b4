import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { operations } from './generated/api.ts';

/** Absolute path of the one OpenAPI document every stage is checked against. */
export const openapiPath = fileURLToPath(new URL('../openapi.yaml', import.meta.url));

export type OperationId = keyof operations;
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

// The slice of OpenAPI 3.1 this package reads. The whole document is checked against the
// official OpenAPI 3.1 schema by this package's own tests, so the shapes below hold.
export type JsonSchema = { [keyword: string]: unknown };
export interface Reference {
  $ref: string;
}
export interface HeaderObject {
  description?: string;
  required?: boolean;
  schema: JsonSchema;
}
export interface MediaTypeObject {
  schema: JsonSchema;
  example?: unknown;
  examples?: Record<string, { summary?: string; value: unknown }>;
}
export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | Reference>;
  content?: Record<string, MediaTypeObject>;
}
export interface ParameterObject {
  name: string;
  in: 'query' | 'header' | 'path' | 'cookie';
  required?: boolean;
  description?: string;
  schema: JsonSchema;
}
export interface OperationObject {
  operationId: string;
  /** The stage an operation exists from (two digits); absent: every stage serves it. */
  'x-since-stage'?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: (ParameterObject | Reference)[];
  requestBody?: { required?: boolean; content: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject | Reference>;
}
export type PathItem = Partial<Record<HttpMethod, OperationObject>>;
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, ResponseObject>;
    headers: Record<string, HeaderObject>;
    parameters: Record<string, ParameterObject>;
    securitySchemes: Record<string, unknown>;
  };
}

/** One operation of the document with its references resolved. */
export interface Operation {
  id: OperationId;
  method: HttpMethod;
  /** The path template, e.g. `/api/threads/{id}`. */
  path: string;
  requiresAuth: boolean;
  parameters: ParameterObject[];
  /** The request body schema when the operation takes a JSON body. */
  requestSchema: JsonSchema | undefined;
  /** Documented responses keyed by status code. */
  responses: Map<number, ResponseObject>;
  /** The stage the operation exists from (`x-since-stage`, e.g. "04"); undefined: every stage. */
  sinceStage: string | undefined;
}

export interface Contract {
  document: OpenApiDocument;
  operations: Map<OperationId, Operation>;
}

const METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

export function loadOpenApiDocument(path: string = openapiPath): OpenApiDocument {
  return parse(readFileSync(path, 'utf8')) as OpenApiDocument;
}

export function isReference(value: unknown): value is Reference {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

/** Follows a local `#/components/<kind>/<name>` reference inside the document. */
export function resolveReference<T>(document: OpenApiDocument, value: T | Reference): T {
  if (!isReference(value)) return value;
  const [, kind, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(value.$ref) ?? [];
  const section = kind
    ? (document.components as Record<string, Record<string, unknown>>)[kind]
    : undefined;
  const target = name ? section?.[name] : undefined;
  if (target === undefined) throw new Error(`Unresolvable reference ${value.$ref}`);
  return target as T;
}

/** Parses openapi.yaml once and indexes its operations by operationId. */
export function loadContract(path: string = openapiPath): Contract {
  const document = loadOpenApiDocument(path);
  const operations = new Map<OperationId, Operation>();
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) {
        operations.set(
          operation.operationId as OperationId,
          toOperation(document, template, method, operation),
        );
      }
    }
  }
  return { document, operations };
}

function toOperation(
  document: OpenApiDocument,
  path: string,
  method: HttpMethod,
  operation: OperationObject,
): Operation {
  const responses = new Map<number, ResponseObject>();
  for (const [status, response] of Object.entries(operation.responses)) {
    responses.set(Number(status), resolveReference(document, response));
  }
  return {
    id: operation.operationId as OperationId,
    method,
    path,
    requiresAuth: (operation.security ?? []).some((requirement) => 'bearerAuth' in requirement),
    parameters: (operation.parameters ?? []).map((p) => resolveReference(document, p)),
    requestSchema: operation.requestBody?.content['application/json']?.schema,
    responses,
    sinceStage: operation['x-since-stage'],
  };
}

/**
 * Whether a stage serves an operation. An operation that exists since some stage is served by
 * that stage and every later one; a caller that names no stage gets only the operations every
 * stage serves, so a suite written before an operation existed never starts testing it.
 */
export function servedByStage(operation: Operation, stage: string | undefined): boolean {
  if (operation.sinceStage === undefined) return true;
  return stage !== undefined && Number(stage) >= Number(operation.sinceStage);
}

/** The operations a stage serves (all of them when every operation is for every stage). */
export function operationsOfStage(contract: Contract, stage: string | undefined): Operation[] {
  return [...contract.operations.values()].filter((operation) => servedByStage(operation, stage));
}
