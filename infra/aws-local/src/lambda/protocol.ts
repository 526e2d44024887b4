/*
 * The messages between the runtime and one execution environment (a child process), over its IPC
 * channel. Lambda's own runtime talks to its sandbox over the Runtime API (HTTP); a local child
 * process needs nothing more than this handful of messages.
 */

/** Lambda's error document, as the Invoke API returns it for a function error. */
export interface ErrorDocument {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** Runtime → environment: run one event. */
export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  event: unknown;
  /** The ARN the caller invoked. */
  invokedFunctionArn: string;
  /** Epoch milliseconds when the invocation times out (for context.getRemainingTimeInMillis()). */
  deadlineMs: number;
}

/** Environment → runtime. */
export type EnvironmentMessage =
  /** The handler's module is loaded and its export found: the environment is warm. */
  | { type: 'ready'; maxRssMb: number }
  /** Loading the module or finding the handler failed; the environment exits. */
  | { type: 'init-error'; error: ErrorDocument }
  /** One line of the function's log, already formatted as Lambda's Node.js runtime writes it. */
  | { type: 'log'; line: string }
  | { type: 'result'; requestId: string; payload: string; maxRssMb: number }
  /** `fatal`: an uncaught exception or unhandled rejection; the environment exits after it. */
  | { type: 'error'; requestId: string; error: ErrorDocument; maxRssMb: number; fatal: boolean };

/** How an error value becomes Lambda's error document (the Node.js runtime's rules). */
export function toErrorDocument(value: unknown, errorType?: string): ErrorDocument {
  if (value instanceof Error) {
    return {
      errorType: errorType ?? value.name,
      errorMessage: value.message,
      trace: (value.stack ?? '').split('\n'),
    };
  }
  return { errorType: errorType ?? typeof value, errorMessage: String(value), trace: [] };
}
