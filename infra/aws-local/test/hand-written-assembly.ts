/*
 * Small cloud assemblies written by hand, for the reader's failure cases and the benchmark: a
 * manifest, one stack template (stack Hand), and a function asset folder, asset.code, with an
 * index.js.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPLICATION_FUNCTION_METADATA } from '../src/metadata.ts';

export function writeAssembly(
  resources: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  code = 'exports.handler = async () => "ok";\n',
): string {
  const dir = mkdtempSync(join(tmpdir(), 'aws-local-assembly-'));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      version: '48.0.0',
      artifacts: {
        Hand: {
          type: 'aws:cloudformation:stack',
          properties: { templateFile: 'Hand.template.json' },
        },
      },
    }),
  );
  writeFileSync(
    join(dir, 'Hand.template.json'),
    JSON.stringify({ Resources: resources, ...extra }),
  );
  mkdirSync(join(dir, 'asset.code'));
  writeFileSync(join(dir, 'asset.code', 'index.js'), code);
  return dir;
}

/** An application function (marked) whose code is the assembly's asset.code folder. */
export function appFunction(
  properties: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
) {
  return {
    Type: 'AWS::Lambda::Function',
    Properties: { Handler: 'index.handler', Runtime: 'nodejs24.x', Timeout: 10, ...properties },
    Metadata: {
      [APPLICATION_FUNCTION_METADATA]: true,
      'aws:asset:path': 'asset.code',
      ...metadata,
    },
  };
}
