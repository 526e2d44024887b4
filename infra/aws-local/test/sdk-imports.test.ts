import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalAwsError, startLocalAws } from '../src/index.ts';
import { checkSdkImports, sdkImportsOf } from '../src/lambda/sdk-imports.ts';
import { localFunction } from './fixtures/handlers/local-function.ts';
import { appFunction, writeAssembly } from './hand-written-assembly.ts';

/** A code folder outside the repository (no node_modules above it) with these files. */
function codeDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'aws-local-sdk-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the SDK imports of a function', () => {
  it('are found in import, dynamic import and require forms, subpaths reduced to the package', () => {
    const dir = codeDir({
      'index.mjs': [
        'import { SQSClient } from "@aws-sdk/client-sqs";',
        "import '@smithy/smithy-client';",
        'const s3 = await import("@aws-sdk/client-s3/dist-cjs/index.js");',
      ].join('\n'),
      'lib/legacy.cjs': 'const { DynamoDB } = require( "@aws-sdk/client-dynamodb" );',
      'node_modules/dep/index.js': 'require("@aws-sdk/client-kinesis");',
    });

    expect([...sdkImportsOf(dir)].sort()).toEqual([
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-s3',
      '@aws-sdk/client-sqs',
      '@smithy/smithy-client',
    ]);
  });

  it('leave out packages only named in text, as the SDK names them in its error messages', () => {
    const dir = codeDir({
      'index.mjs': [
        'import { SQSClient } from "@aws-sdk/client-sqs";',
        'const a = `load it by calling [require("@aws-sdk/signature-v4-crt");] first`;',
        `const b = "or [require('@aws-sdk/signature-v4a');] or [import '@aws-sdk/signature-v4a';]";`,
        'export const later = () => require("@aws-sdk/client-s3");',
      ].join('\n'),
    });

    expect([...sdkImportsOf(dir)].sort()).toEqual(['@aws-sdk/client-s3', '@aws-sdk/client-sqs']);
  });

  it('fail the start naming the function when its code cannot be parsed', () => {
    const dir = codeDir({ 'index.mjs': 'export const handler = async () => {' });
    const fn = localFunction('index.handler', { codeDir: dir });

    let error: unknown;
    try {
      checkSdkImports([fn]);
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(LocalAwsError);
    expect(error).toMatchObject({ logicalId: fn.logicalId });
    expect(String(error)).toContain(`Function ${fn.logicalId}`);
  });

  it('pass when this runtime provides them: its pinned clients and their dependencies', () => {
    const dir = codeDir({
      'index.js': 'require("@aws-sdk/client-sqs"); require("@smithy/core");',
    });

    expect(() => checkSdkImports([localFunction('index.handler', { codeDir: dir })])).not.toThrow();
  });

  it('pass when the function bundles its own copy', () => {
    const dir = codeDir({
      'index.js': 'require("@aws-sdk/client-dynamodb");',
      'node_modules/@aws-sdk/client-dynamodb/package.json': '{"name":"@aws-sdk/client-dynamodb"}',
    });

    expect(() => checkSdkImports([localFunction('index.handler', { codeDir: dir })])).not.toThrow();
  });

  it('fail naming the function and the package that nothing provides', () => {
    const dir = codeDir({ 'index.js': 'require("@aws-sdk/client-dynamodb");' });
    const fn = localFunction('index.handler', { codeDir: dir, logicalId: 'Spins' });

    expect(() => checkSdkImports([fn])).toThrow(
      expect.objectContaining({
        name: 'LocalAwsError',
        logicalId: 'Spins',
        message: expect.stringContaining('imports @aws-sdk/client-dynamodb'),
      }),
    );
  });

  it('fail the start before anything runs', async () => {
    const dir = writeAssembly(
      { Fn: appFunction() },
      {},
      'const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");\nexports.handler = async () => "ok";\n',
    );

    const start = startLocalAws({ assemblyDir: dir, log: () => {} });

    await expect(start).rejects.toThrow(LocalAwsError);
    await expect(start).rejects.toMatchObject({
      logicalId: 'Fn',
      message: expect.stringContaining('@aws-sdk/client-dynamodb'),
    });
  });
});
