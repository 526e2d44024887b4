// @course/contract — the public API of the course app, as a document, types and tests.

export {
  type CallOptions,
  ContractClient,
  type ContractClientOptions,
  type ContractResponse,
  type DocumentedStatus,
  type ResponseBody,
  retryAfterMs,
} from './client.ts';
export { type ConformanceSuiteOptions, defineConformanceSuite } from './conformance.ts';
export { defineFuzzSuite, type FuzzSuiteOptions } from './fuzz.ts';
export type { components, operations, paths } from './generated/api.ts';
export { createHarness, type Harness, type Player } from './harness.ts';
export {
  decodeJwt,
  foreignSignedToken,
  tamperedToken,
  unsignedToken,
  verifiedByKeySet,
} from './jwt.ts';
export {
  type Contract,
  loadContract,
  loadOpenApiDocument,
  type OpenApiDocument,
  type Operation,
  type OperationId,
  openapiPath,
  operationsOfStage,
  servedByStage,
} from './spec.ts';
export {
  createResponseValidator,
  type ObservedResponse,
  type ResponseValidator,
} from './validator.ts';
