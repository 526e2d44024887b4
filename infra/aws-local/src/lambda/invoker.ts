/*
 * How the rest of the runtime calls a function: the HTTP APIs (a request), the event source
 * mappings (a batch of records), the schedules (a scheduled event) and the Lambda Invoke API
 * (@aws-sdk/client-lambda) all go through one Invoker, which runs the event in one of the
 * function's execution environments (lambda/).
 */

/** How an invocation ended, as Lambda reports it. */
export type InvocationResult =
  /** The handler returned (or resolved); `payload` is its value serialized as JSON text ('null' for undefined). */
  | { outcome: 'success'; payload: string; logTail: string }
  /**
   * The handler threw or rejected, its environment crashed, or it ran past its timeout (then the
   * environment was killed and the next call is cold). `error` is Lambda's error document:
   * `{ errorType, errorMessage, trace }` — for a timeout `errorType: 'Sandbox.Timedout'` and
   * `errorMessage: 'Task timed out after N seconds'`.
   */
  | {
      outcome: 'error';
      kind: 'handled' | 'crash' | 'timeout';
      error: { errorType: string; errorMessage: string; trace: string[] };
      logTail: string;
    }
  /**
   * No environment could take the event: every one allowed by the function's reserved
   * concurrency is busy (or the runtime is stopping). Lambda answers `TooManyRequestsException`,
   * 429, for a synchronous call. A function without reserved concurrency is never throttled: at
   * the local cap its callers wait instead, as AWS would start another environment.
   */
  | { outcome: 'throttled'; logTail: '' };

export interface InvokeOptions {
  /** Lambda's request id for this invocation; a new UUID when omitted. */
  requestId?: string;
  /**
   * Wait for a free environment instead of answering 'throttled' (what the event source mappings
   * and asynchronous invocations do: Lambda retries them internally). Default false.
   */
  queue?: boolean;
  /**
   * Kill the environment that ran this event once the handler is done, before its result is
   * returned and before any other event can reach it (a fault switch: "the consumer crashed
   * after its effect, before the delete"). Only that environment goes: other invocations of the
   * function, in flight or waiting, are untouched; the next event it would have served is cold.
   * Default false.
   */
  discardEnvironment?: boolean;
}

export interface Invoker {
  /** Whether a function of that name (or ARN, or `name:qualifier`) exists. */
  has(functionNameOrArn: string): boolean;
  /** Runs one event. Never rejects for anything the function does; only for an unknown function. */
  invoke(
    functionNameOrArn: string,
    event: unknown,
    options?: InvokeOptions,
  ): Promise<InvocationResult>;
  /**
   * Kills every environment of the function, as if Lambda reclaimed them all (the benchmark's way
   * to force a cold start). Invocations in flight end with a 'crash' error; the next one is cold.
   * To end just the environment of one invocation, use InvokeOptions.discardEnvironment.
   */
  discardEnvironments(functionNameOrArn: string): Promise<void>;
}
