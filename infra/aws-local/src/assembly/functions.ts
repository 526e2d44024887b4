/*
 * The application's Lambda functions, from `AWS::Lambda::Function` resources: what the local
 * environments need to run each one (its code asset, handler, runtime, timeout, environment), and
 * what Lambda would refuse at deploy time refused at start.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { handlerFile, parseHandlerSetting } from '../lambda/handler-module.ts';
import { RESERVED_ENVIRONMENT_VARIABLES } from '../lambda/reserved-variables.ts';
import { LocalAwsError, type LocalFunction } from '../model.ts';
import type { CfnResourceEntry } from './intrinsics.ts';
import type { TemplateReader } from './template-reader.ts';

export function lambdaFunction(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
): LocalFunction {
  const { cfn } = reader;
  const props = resource.Properties ?? {};
  const at = (property: string) => ({ logicalId, property });
  const identity = reader.identity(logicalId, resource);
  reader.refuse(logicalId, props, {
    Layers: 'layers are not served: bundle what the function needs',
    ImageUri: 'container image functions are not served',
  });
  const runtime = cfn.string(props.Runtime, at('Runtime'));
  if (!runtime.startsWith('nodejs')) {
    throw new LocalAwsError(
      `function ${logicalId}: runtime ${runtime} is not served (only Node.js)`,
      logicalId,
      'Runtime',
    );
  }
  const handler = cfn.string(props.Handler, at('Handler'));
  const codeDir = codeFolder(reader.assemblyDir, logicalId, resource);
  checkHandlerFile(logicalId, codeDir, handler);
  const variables =
    (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const environment = Object.fromEntries(
    Object.entries(variables).map(([key, value]) => {
      const where = at(`Environment.Variables.${key}`);
      // Lambda refuses a configuration that sets one of its own variables, so the deploy would fail.
      if (RESERVED_ENVIRONMENT_VARIABLES.has(key)) {
        throw new LocalAwsError(
          `${logicalId}.${where.property}: ${key} is reserved by Lambda, which sets it itself ` +
            '(CreateFunction refuses a function that sets it): remove it from the environment',
          logicalId,
          where.property,
        );
      }
      return [key, cfn.string(value, where)];
    }),
  );
  const reserved = cfn.resolve(
    props.ReservedConcurrentExecutions,
    at('ReservedConcurrentExecutions'),
  );
  return {
    logicalId,
    name: identity.name,
    arn: identity.attributes.Arn ?? '',
    codeDir,
    handler,
    runtime,
    timeoutSeconds: reader.number(props.Timeout, 3, at('Timeout')),
    memoryMb: reader.number(props.MemorySize, 128, at('MemorySize')),
    environment,
    ...(reserved === undefined ? {} : { reservedConcurrency: Number(reserved) }),
  };
}

/** The function's asset folder in the cloud assembly, from CDK's `aws:asset:path` metadata. */
function codeFolder(assemblyDir: string, logicalId: string, resource: CfnResourceEntry): string {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') {
    const inline = (resource.Properties?.Code as { ZipFile?: unknown } | undefined)?.ZipFile;
    throw new LocalAwsError(
      inline === undefined
        ? `function ${logicalId} has no code asset in the cloud assembly (no aws:asset:path metadata: synthesize with asset metadata on)`
        : `function ${logicalId} has inline code (Code.ZipFile), which is not served: give it an asset`,
      logicalId,
      'Code',
    );
  }
  const codeDir = join(assemblyDir, assetPath);
  if (!existsSync(codeDir)) {
    throw new LocalAwsError(
      `function ${logicalId}: its code asset ${codeDir} is missing`,
      logicalId,
      'Code',
    );
  }
  return codeDir;
}

/**
 * Lambda would fail at the first invocation (Runtime.ImportModuleError); the local start fails
 * earlier, naming the function, because a missing handler file is always a mistake in the app.
 */
function checkHandlerFile(logicalId: string, codeDir: string, handler: string): void {
  const modulePath = parseHandlerSetting(handler)?.modulePath ?? '';
  if (modulePath === '' || handlerFile(codeDir, modulePath) === undefined) {
    throw new LocalAwsError(
      `function ${logicalId}: its handler ${handler} names no file in ${codeDir} (looked for ${modulePath || '?'}.js, .mjs, .cjs)`,
      logicalId,
      'Handler',
    );
  }
}
