/*
 * Lambda's Node.js runtime provides the whole AWS SDK v3, so a function may import any
 * `@aws-sdk/*` client without bundling it (NodejsFunction leaves them out). This runtime provides
 * only its own pinned clients (sdk-resolution.ts). Without this check a handler importing, say,
 * @aws-sdk/client-dynamodb would start fine and fail at its first call; with it the start fails,
 * naming the function and the package, before anything runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import type { LocalFunction } from '../model.ts';
import { LocalAwsError } from '../model.ts';
import { providerPackages } from './sdk-resolution.ts';

const CODE_FILE = /\.(?:m|c)?js$/;
const SDK_PACKAGE = /^(@(?:aws-sdk|smithy)\/[^/]+)/;

/**
 * The `@aws-sdk/*` and `@smithy/*` packages the code of a folder imports (node_modules aside):
 * `import … from`, `import '…'`, `import('…')` and `require('…')`, found by esbuild's own parser
 * rather than by searching the text. The SDK's error messages name packages in exactly those
 * forms — its SigV4a signer throws "…by calling [require('@aws-sdk/signature-v4a');]…" — and a
 * text search would take such a message, bundled into any function that signs a request, for an
 * import.
 */
export function sdkImportsOf(codeDir: string): Set<string> {
  const entryPoints = [...codeFiles(codeDir)];
  const packages = new Set<string>();
  if (entryPoints.length === 0) return packages;
  const { metafile } = buildSync({
    entryPoints,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    // Every package import stays an import, listed in the metafile: nothing is resolved.
    packages: 'external',
    outdir: join(codeDir, '.sdk-imports'),
    logLevel: 'silent',
  });
  for (const input of Object.values(metafile.inputs)) {
    for (const { path, external } of input.imports) {
      const name = external ? SDK_PACKAGE.exec(path)?.[1] : undefined;
      if (name) packages.add(name);
    }
  }
  return packages;
}

/**
 * Fails when a function imports an `@aws-sdk/*` or `@smithy/*` package that neither its own
 * folder nor this runtime provides (Lambda would provide it).
 */
export function checkSdkImports(functions: LocalFunction[]): void {
  const providers = providerPackages().map(dirname);
  for (const fn of functions) {
    for (const name of sdkImportsOfFunction(fn)) {
      if ([fn.codeDir, ...providers].some((from) => packageVisibleFrom(from, name))) continue;
      throw new LocalAwsError(
        `Function ${fn.logicalId} (${fn.name}) imports ${name}, which Lambda's runtime provides ` +
          'but this local runtime does not (it provides only its own pinned SDK clients): ' +
          'bundle it with the function, or add it to @course/aws-local’s dependencies',
        fn.logicalId,
        'Code',
      );
    }
  }
}

/** sdkImportsOf the function's code; code esbuild cannot parse fails the start, naming it. */
function sdkImportsOfFunction(fn: LocalFunction): Set<string> {
  try {
    return sdkImportsOf(fn.codeDir);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new LocalAwsError(
      `Function ${fn.logicalId} (${fn.name}): its code in ${fn.codeDir} could not be read for ` +
        `its imports: ${reason}`,
      fn.logicalId,
      'Code',
    );
  }
}

/** Whether Node.js's lookup from `dir` (node_modules folders up to the root) finds the package. */
function packageVisibleFrom(dir: string, name: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules', name, 'package.json'))) return true;
    if (dirname(current) === current) return false;
  }
}

function* codeFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* codeFiles(path);
    else if (CODE_FILE.test(entry.name)) yield path;
  }
}
