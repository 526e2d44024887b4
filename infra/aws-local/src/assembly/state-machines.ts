/*
 * An application's `AWS::StepFunctions::StateMachine`: its definition, resolved to local values,
 * and checked to hold only what the local engine (aws-local-stepfunctions, behind
 * stepfunctions/) can run as Step Functions would. Whatever it cannot run — JSONata, a service
 * integration other than Lambda's, a task token, a distributed Map — fails the start here,
 * naming the state, instead of failing an execution halfway through a saga.
 */
import { isRecord } from '../is-record.ts';
import { LocalAwsError, type LocalFunction, type LocalStateMachine } from '../model.ts';
import type { CfnResourceEntry } from './intrinsics.ts';
import { findFunction, type TemplateReader } from './template-reader.ts';

/** The optimized Lambda integration CDK's `LambdaInvoke` emits; the engine emulates it. */
export const LAMBDA_INVOKE_RESOURCE = 'arn:aws:states:::lambda:invoke';

const LAMBDA_FUNCTION_ARN = /^arn:aws:lambda:[^:]+:[^:]+:function:[^:]+(:[^:]+)?$/;

export function stateMachine(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
  functions: LocalFunction[],
): LocalStateMachine {
  const props = resource.Properties ?? {};
  const at = (property: string) => ({ logicalId, property });
  reader.refuse(logicalId, props, {
    DefinitionS3Location:
      'a definition stored in S3 is not read locally; give it inline (CDK does: DefinitionString)',
  });
  const type = reader.cfn.string(props.StateMachineType ?? 'STANDARD', at('StateMachineType'));
  if (type !== 'STANDARD' && type !== 'EXPRESS') {
    throw new LocalAwsError(
      `${logicalId}.StateMachineType: ${type} is neither STANDARD nor EXPRESS`,
      logicalId,
      'StateMachineType',
    );
  }
  const text = definitionText(reader, logicalId, props);
  const substitutions = reader.cfn.resolve(
    props.DefinitionSubstitutions,
    at('DefinitionSubstitutions'),
  );
  const definition = parseDefinition(
    logicalId,
    isRecord(substitutions) ? substitute(text, substitutions) : text,
  );
  checkRunnable(logicalId, definition, functions);
  const { name, attributes } = reader.identity(logicalId, resource);
  return { logicalId, name, arn: attributes.Arn ?? '', type, definition };
}

/** DefinitionString (text, CDK's Fn::Join around the functions' ARNs) or Definition (an object). */
function definitionText(
  reader: TemplateReader,
  logicalId: string,
  props: Record<string, unknown>,
): string {
  if (props.DefinitionString !== undefined) {
    return reader.cfn.string(props.DefinitionString, { logicalId, property: 'DefinitionString' });
  }
  if (props.Definition !== undefined) {
    const resolved = reader.cfn.resolve(props.Definition, { logicalId, property: 'Definition' });
    return JSON.stringify(resolved);
  }
  throw new LocalAwsError(
    `${logicalId}: a state machine needs a Definition or a DefinitionString`,
    logicalId,
    'DefinitionString',
  );
}

/**
 * `${name}` replaced by its value, as Step Functions applies DefinitionSubstitutions. The value is
 * written JSON-escaped, so a quote in it cannot break the definition's JSON.
 */
function substitute(text: string, substitutions: Record<string, unknown>): string {
  return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    const value = substitutions[name];
    if (value === undefined) return whole;
    return JSON.stringify(String(value)).slice(1, -1);
  });
}

function parseDefinition(logicalId: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LocalAwsError(
      `${logicalId}.DefinitionString is not valid JSON (${(error as Error).message})`,
      logicalId,
      'DefinitionString',
    );
  }
  if (!isRecord(parsed) || !isRecord(parsed.States)) {
    throw new LocalAwsError(
      `${logicalId}.DefinitionString is not a state machine (no States)`,
      logicalId,
      'DefinitionString',
    );
  }
  return parsed;
}

/** Every state, nested ones included (Parallel branches, Map processors), with its name. */
export function* eachState(
  definition: Record<string, unknown>,
): Generator<[string, Record<string, unknown>]> {
  const states = isRecord(definition.States) ? definition.States : {};
  for (const [name, state] of Object.entries(states)) {
    if (!isRecord(state)) continue;
    yield [name, state];
    const nested = [
      ...(Array.isArray(state.Branches) ? state.Branches : []),
      state.ItemProcessor,
      state.Iterator,
    ];
    for (const child of nested) if (isRecord(child)) yield* eachState(child);
  }
}

function checkRunnable(
  logicalId: string,
  definition: Record<string, unknown>,
  functions: LocalFunction[],
): void {
  const refuse = (state: string | undefined, why: string) => {
    const where = state === undefined ? '' : ` state "${state}":`;
    return new LocalAwsError(
      `${logicalId}.DefinitionString${where} ${why}`,
      logicalId,
      'DefinitionString',
    );
  };
  if (definition.QueryLanguage === 'JSONata') {
    throw refuse(undefined, 'QueryLanguage JSONata is not run locally (JSONPath only)');
  }
  const where = { logicalId, property: 'DefinitionString' };
  for (const [name, state] of eachState(definition)) {
    if (state.QueryLanguage === 'JSONata') {
      throw refuse(name, 'QueryLanguage JSONata is not run locally (JSONPath only)');
    }
    if (state.Type === 'Map') {
      const config = isRecord(state.ItemProcessor)
        ? state.ItemProcessor.ProcessorConfig
        : undefined;
      if (isRecord(config) && config.Mode === 'DISTRIBUTED') {
        throw refuse(name, 'a distributed Map is not run locally (inline Map only)');
      }
    }
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    if (resource === LAMBDA_INVOKE_RESOURCE) {
      const parameters = isRecord(state.Parameters) ? state.Parameters : {};
      const functionName = parameters.FunctionName;
      if (typeof functionName === 'string') findFunction(functions, functionName, where);
      else if (typeof parameters['FunctionName.$'] !== 'string') {
        throw refuse(name, `${LAMBDA_INVOKE_RESOURCE} needs Parameters.FunctionName`);
      }
    } else if (LAMBDA_FUNCTION_ARN.test(resource)) {
      findFunction(functions, resource, where);
    } else {
      throw refuse(
        name,
        `Task resource ${resource} is not run locally: only a Lambda function's ARN or ` +
          `${LAMBDA_INVOKE_RESOURCE} (no .sync, no .waitForTaskToken, no other service)`,
      );
    }
  }
}
