/*
 * A stub Invoker for the HTTP API tests: it records every event and answers what the test
 * scripts, so each test sees exactly what API Gateway would have sent the function.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startHttpApi } from '../src/http-api/index.ts';
import type { HttpApiOptions, RunningHttpApi } from '../src/http-api/server.ts';
import type { InvocationResult, InvokeOptions, Invoker } from '../src/lambda/invoker.ts';
import type { HttpApiRoute, LocalHttpApi } from '../src/model.ts';

export type Script = (
  event: APIGatewayProxyEventV2,
) => InvocationResult | Promise<InvocationResult>;

export interface StubInvoker extends Invoker {
  events: APIGatewayProxyEventV2[];
  calls: { functionName: string; options: InvokeOptions | undefined }[];
  script: Script;
}

export const returns = (value: unknown): InvocationResult => ({
  outcome: 'success',
  payload: JSON.stringify(value) ?? 'null',
  logTail: '',
});

export const fails = (kind: 'handled' | 'crash' | 'timeout'): InvocationResult => ({
  outcome: 'error',
  kind,
  error: { errorType: 'Error', errorMessage: 'boom', trace: [] },
  logTail: '',
});

export function stubInvoker(functionNames = ['fn']): StubInvoker {
  const stub: StubInvoker = {
    events: [],
    calls: [],
    script: () => returns({ ok: true }),
    has: (name) => functionNames.includes(name),
    async invoke(functionName, event, options) {
      stub.calls.push({ functionName, options });
      stub.events.push(event as APIGatewayProxyEventV2);
      return stub.script(event as APIGatewayProxyEventV2);
    },
    discardEnvironments: async () => {},
  };
  return stub;
}

export function route(routeKey: string, extra: Partial<HttpApiRoute> = {}): HttpApiRoute {
  return {
    logicalId: `Route${routeKey.replace(/[^A-Za-z0-9]/g, '')}`,
    routeKey,
    functionName: 'fn',
    integrationTimeoutMs: 30_000,
    ...extra,
  };
}

export function httpApi(routes: HttpApiRoute[], extra: Partial<LocalHttpApi> = {}): LocalHttpApi {
  return { logicalId: 'Api', apiId: 'api', stageName: '$default', routes, ...extra };
}

const started: RunningHttpApi[] = [];

/** Starts an API on port 0; `stopAll` (afterEach) stops every one. */
export async function serve(
  api: LocalHttpApi,
  invoker: Invoker,
  options: Partial<HttpApiOptions> = {},
): Promise<RunningHttpApi> {
  const running = await startHttpApi(api, invoker, {
    timeScale: 1,
    log: () => {},
    accountId: '123456789012',
    ...options,
  });
  started.push(running);
  return running;
}

export async function stopAll() {
  await Promise.all(started.splice(0).map((running) => running.stop()));
}
