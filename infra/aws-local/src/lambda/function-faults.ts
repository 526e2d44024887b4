/*
 * The function faults (`function=<logical id or name>,fail` and `,crash-after-effect`), applied
 * around the pool, at the one place every caller passes through: the HTTP APIs, the event source
 * mappings, the schedules, the state machines and the Invoke API all see the same failure.
 * Both end the invocation as Lambda reports a runtime that exited (`Runtime.ExitError`), so a
 * caller — a state machine's Retry — cannot tell whether the handler's effect happened.
 */

import type { Faults } from '../messaging/faults.ts';
import type { LocalFunction } from '../model.ts';
import type { LogSink } from '../options.ts';
import { parseFunctionRef } from './function-ref.ts';
import type { InvocationResult, Invoker } from './invoker.ts';

export function withFunctionFaults(
  invoker: Invoker,
  functions: LocalFunction[],
  faults: Faults,
  log: LogSink,
): Invoker {
  const find = (ref: string) => {
    const name = parseFunctionRef(ref)?.name;
    return functions.find((fn) => fn.name === name);
  };
  const exited = (fn: LocalFunction, requestId: string, why: string): InvocationResult => {
    log('aws-local', `fault ${why} for ${fn.logicalId}: invocation ${requestId} fails`);
    return {
      outcome: 'error',
      kind: 'crash',
      error: {
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
        trace: [],
      },
      logTail: '',
    };
  };
  return {
    has: (ref) => invoker.has(ref),
    discardEnvironments: (ref) => invoker.discardEnvironments(ref),
    async invoke(ref, event, options = {}) {
      const fn = find(ref);
      if (fn === undefined) return invoker.invoke(ref, event, options);
      const requestId = options.requestId ?? crypto.randomUUID();
      const ids = [fn.logicalId, fn.name];
      if (faults.firesOn(ids, 'fail')) return exited(fn, requestId, 'fail (before the handler)');
      const result = await invoker.invoke(ref, event, { ...options, requestId });
      if (result.outcome === 'success' && faults.firesOn(ids, 'crashAfterEffect')) {
        return exited(fn, requestId, 'crash-after-effect (the handler ran, its answer is lost)');
      }
      return result;
    },
  };
}
