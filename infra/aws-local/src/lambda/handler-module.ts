/*
 * Finding and loading a function's handler the way Lambda's Node.js runtime does: the handler
 * setting `path/to/file.export` names a file in the code folder (tried as .js, .mjs, then .cjs;
 * import() loads each as ESM or CommonJS by its extension and the nearest package.json) and an
 * export of it, which may be nested (`file.group.handler`). Used by the environment's bootstrap
 * and by the benchmark's in-process baseline.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toErrorDocument } from './protocol.ts';

export type Handler = (event: unknown, context: object) => unknown;

/** An init failure, named as Lambda's Node.js runtime names it. */
export class InitError extends Error {
  constructor(errorType: string, message: string) {
    super(message);
    this.name = errorType;
  }
}

const EXTENSIONS = ['.js', '.mjs', '.cjs'];

/**
 * A handler setting split as Lambda splits it: the module path up to the first dot of the last
 * path segment (`lib/index` of `lib/index.group.handler`), and the export path after it
 * (`['group', 'handler']`). Undefined when the setting is malformed.
 */
export function parseHandlerSetting(
  handlerSetting: string,
): { modulePath: string; exportPath: string[] } | undefined {
  const slash = handlerSetting.lastIndexOf('/');
  const match = /^([^.]+)\.(.+)$/.exec(handlerSetting.slice(slash + 1));
  if (!match?.[1] || !match[2]) return undefined;
  return {
    modulePath: handlerSetting.slice(0, slash + 1) + match[1],
    exportPath: match[2].split('.'),
  };
}

/** The file a module path names in the code folder, tried as .js, .mjs, then .cjs. */
export function handlerFile(codeDir: string, modulePath: string): string | undefined {
  return EXTENSIONS.map((ext) => join(codeDir, modulePath + ext)).find(isFile);
}

/**
 * Loads the handler a setting names. `runtime` (the function's, e.g. `nodejs22.x`) decides what
 * a callback handler gets: refused from nodejs24.x on, wrapped in a promise before.
 */
export async function loadHandler(
  codeDir: string,
  handlerSetting: string,
  runtime: string,
): Promise<Handler> {
  const setting = parseHandlerSetting(handlerSetting);
  if (!setting) {
    throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${handlerSetting}`);
  }
  const file = handlerFile(codeDir, setting.modulePath);
  if (!file) {
    throw new InitError(
      'Runtime.ImportModuleError',
      `Error: Cannot find module '${setting.modulePath}'`,
    );
  }
  const module = await importUserModule(file);
  let value: unknown = module;
  for (const key of setting.exportPath) {
    value = isObject(value) ? (value[key] ?? defaultExport(value)?.[key]) : undefined;
  }
  if (typeof value !== 'function') {
    throw new InitError(
      'Runtime.HandlerNotFound',
      `${handlerSetting} is undefined or not exported`,
    );
  }
  if (value.length < 3) return value as Handler;
  if (!acceptsCallbackHandlers(runtime)) {
    // Lambda's nodejs24.x refuses (event, context, callback) handlers at init: it tells them
    // apart by the number of declared parameters, and so do we.
    throw new InitError(
      'Runtime.CallbackHandlerDeprecated',
      `${handlerSetting} declares a callback parameter: callback-based handlers are not supported ` +
        'from Node.js 24 on; use an async handler (event, context) that returns its result',
    );
  }
  return promisifyCallbackHandler(value as CallbackHandler);
}

/** Whether the runtime (`nodejs22.x`…) still takes (event, context, callback) handlers: before 24. */
export function acceptsCallbackHandlers(runtime: string): boolean {
  const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
  return Number.isInteger(major) && major < 24;
}

type CallbackHandler = (
  event: unknown,
  context: object,
  callback: (error?: unknown, result?: unknown) => void,
) => unknown;

/**
 * A callback handler as the runtimes before Node.js 24 call it: the invocation ends with the
 * first of `callback(error, result)` or, if the handler also returns a promise, its settling.
 * (Those runtimes then also wait for the event loop to empty unless
 * `context.callbackWaitsForEmptyEventLoop` is false; here the environment simply lives on.)
 */
function promisifyCallbackHandler(handler: CallbackHandler): Handler {
  return (event, context) =>
    new Promise((resolve, reject) => {
      const callback = (error?: unknown, result?: unknown) =>
        error === undefined || error === null ? resolve(result) : reject(error);
      const returned = handler(event, context, callback);
      if (returned instanceof Promise) returned.then(resolve, reject);
    });
}

async function importUserModule(file: string): Promise<unknown> {
  try {
    return await import(pathToFileURL(file).href);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      const { errorMessage } = toErrorDocument(error);
      throw new InitError('Runtime.ImportModuleError', `Error: ${errorMessage}`);
    }
    if (error instanceof SyntaxError) {
      throw new InitError('Runtime.UserCodeSyntaxError', `SyntaxError: ${error.message}`);
    }
    throw error;
  }
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

/** A CommonJS module imported as ESM keeps its `module.exports` under `default`. */
function defaultExport(value: Record<string, unknown>): Record<string, unknown> | undefined {
  const fallback = value.default;
  return isObject(fallback) ? fallback : undefined;
}
