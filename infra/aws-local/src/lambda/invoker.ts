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
   * No environment could take the event: every one allowed by the reserved concurrency is busy.
   * (Lambda answers `TooManyRequestsException`, 429, for a synchronous call.)
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
   * Kills every environment of the function, as if Lambda reclaimed them (a fault switch: "the
   * consumer crashed after its effect, before the delete"). Invocations in flight end with a
   * 'crash' error; the next one is cold.
   */
  discardEnvironments(functionNameOrArn: string): Promise<void>;
}
