/*
 * Lambda's Node.js runtime provides the whole AWS SDK v3, so a function may import any
 * `@aws-sdk/*` client without bundling it (NodejsFunction leaves them out). This runtime provides
 * only its own pinned clients (sdk-resolution.ts). Without this check a handler importing, say,
 * @aws-sdk/client-dynamodb would start fine and fail at its first call; with it the start fails,
 * naming the function and the package, before anything runs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LocalFunction } from '../model.ts';
import { LocalAwsError } from '../model.ts';
import { providerPackages } from './sdk-resolution.ts';

/** `import … from '@aws-sdk/x'`, `import '@aws-sdk/x'`, `import('@aws-sdk/x')`, `require('@aws-sdk/x')`. */
const SDK_IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](@(?:aws-sdk|smithy)\/[^"'/]+)/g;
const CODE_FILE = /\.(?:m|c)?js$/;

/** The `@aws-sdk/*` and `@smithy/*` packages the code of a folder imports (node_modules aside). */
export function sdkImportsOf(codeDir: string): Set<string> {
  const packages = new Set<string>();
  for (const file of codeFiles(codeDir)) {
    for (const match of readFileSync(file, 'utf8').matchAll(SDK_IMPORT)) {
      if (match[1]) packages.add(match[1]);
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
    for (const name of sdkImportsOf(fn.codeDir)) {
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
