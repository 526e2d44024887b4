import {
  APPLICATION_FUNCTION_METADATA,
  APPLICATION_STATE_MACHINE_METADATA,
  DEPLOYMENT_FUNCTION_METADATA,
} from '@course/aws-local/metadata';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  markApplicationFunction,
  markApplicationStateMachine,
  markDeploymentFunction,
} from '../src/application-function.ts';

function inlineFunction(stack: Stack, id: string): LambdaFunction {
  return new LambdaFunction(stack, id, {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => null;'),
  });
}

describe('markApplicationFunction', () => {
  it('puts the application mark on the marked function only', () => {
    const stack = new Stack(new App(), 'Marks');
    const marked = markApplicationFunction(inlineFunction(stack, 'Mine'));
    inlineFunction(stack, 'NotMine');

    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');

    expect(marked).toBeInstanceOf(LambdaFunction);
    const markOf = (prefix: string) =>
      Object.entries(functions).find(([id]) => id.startsWith(prefix))?.[1]?.Metadata?.[
        APPLICATION_FUNCTION_METADATA
      ];
    expect(markOf('Mine')).toBe(true);
    expect(markOf('NotMine')).toBeUndefined();
  });
});

describe('markDeploymentFunction', () => {
  it('puts the deployment mark, not the application mark, on the marked function only', () => {
    const stack = new Stack(new App(), 'DeploymentMarks');
    markDeploymentFunction(inlineFunction(stack, 'Provider'));
    inlineFunction(stack, 'Other');

    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const metadataOf = (prefix: string) =>
      Object.entries(functions).find(([id]) => id.startsWith(prefix))?.[1]?.Metadata ?? {};

    expect(metadataOf('Provider')[DEPLOYMENT_FUNCTION_METADATA]).toBe(true);
    expect(metadataOf('Provider')[APPLICATION_FUNCTION_METADATA]).toBeUndefined();
    expect(metadataOf('Other')[DEPLOYMENT_FUNCTION_METADATA]).toBeUndefined();
  });
});

describe('markApplicationStateMachine', () => {
  it('puts the application mark on the marked state machine only', () => {
    const stack = new Stack(new App(), 'MachineMarks');
    const machine = (id: string) =>
      new StateMachine(stack, id, {
        definitionBody: DefinitionBody.fromChainable(new Pass(stack, `${id}Pass`)),
      });
    const marked = markApplicationStateMachine(machine('Saga'));
    machine('Other');

    const machines = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
    const markOf = (prefix: string) =>
      Object.entries(machines).find(([id]) => id.startsWith(prefix))?.[1]?.Metadata?.[
        APPLICATION_STATE_MACHINE_METADATA
      ];

    expect(marked).toBeInstanceOf(StateMachine);
    expect(markOf('Saga')).toBe(true);
    expect(markOf('Other')).toBeUndefined();
  });
});
