import {
  APPLICATION_FUNCTION_METADATA,
  APPLICATION_STATE_MACHINE_METADATA,
  DEPLOYMENT_FUNCTION_METADATA,
} from '@course/aws-local/metadata';
import type { CfnResource } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';

/**
 * Marks a Lambda function as one of the application's own, so that the local AWS runtime
 * (infra/aws-local) serves it. A stage's CDK app calls this on every function it writes
 * (`markApplicationFunction(new NodejsFunction(...))`).
 *
 * Why a mark: a synthesized template also holds CDK's own helper functions (a BucketDeployment's
 * handler, an AwsCustomResource's provider), which run only during a deployment. The runtime
 * tells the two apart by this declaration, never by guessing from names, and refuses to start a
 * stage with a function that is neither marked nor a known CDK helper.
 *
 * It adds resource metadata only (`Metadata` on the `AWS::Lambda::Function`), which CloudFormation
 * ignores: the deployed function is unchanged.
 *
 * @returns the same function, so the call can wrap the construct's creation.
 */
export function markApplicationFunction<F extends LambdaFunction>(fn: F): F {
  const resource = fn.node.defaultChild as CfnResource;
  resource.addMetadata(APPLICATION_FUNCTION_METADATA, true);
  return fn;
}

/**
 * Marks a Lambda function that one of the course's constructs runs during a deployment only (the
 * provider of a custom resource, such as `DeployTimeTask`'s), so that the local AWS runtime leaves
 * it out, as it leaves out CDK's own helper functions. Metadata only, like
 * `markApplicationFunction`.
 *
 * @returns the same function.
 */
export function markDeploymentFunction<F extends LambdaFunction>(fn: F): F {
  const resource = fn.node.defaultChild as CfnResource;
  resource.addMetadata(DEPLOYMENT_FUNCTION_METADATA, true);
  return fn;
}

/**
 * Marks a state machine as one of the application's own (a saga), so that the local AWS runtime
 * runs it from the template. Unmarked state machines are CDK's own (a custom resource Provider's
 * waiter), which run only during a deployment. Metadata only, like `markApplicationFunction`.
 *
 * @returns the same state machine.
 */
export function markApplicationStateMachine<S extends StateMachine>(stateMachine: S): S {
  const resource = stateMachine.node.defaultChild as CfnResource;
  resource.addMetadata(APPLICATION_STATE_MACHINE_METADATA, true);
  return stateMachine;
}
