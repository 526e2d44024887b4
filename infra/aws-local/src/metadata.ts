/*
 * The marks a stage's CDK app puts on its own functions, so that the runtime tells them apart from
 * CDK's helper functions (a BucketDeployment's handler, custom resource providers) by declaration,
 * not by guessing from names. Imported by the CDK side (infra/constructs) and read
 * by the assembly reader; it has no imports, so neither side pulls in the other's dependencies.
 */

/** Resource metadata key on an `AWS::Lambda::Function` that the application owns. */
export const APPLICATION_FUNCTION_METADATA = 'course:application-function';

/**
 * Resource metadata key on an `AWS::Lambda::Function` that the course's own constructs run during a
 * deployment only (a custom resource's provider, e.g. DeployTimeTask's): left out locally, like
 * CDK's helper functions.
 */
export const DEPLOYMENT_FUNCTION_METADATA = 'course:deployment-function';

/**
 * Resource metadata key on an `AWS::StepFunctions::StateMachine` that the application owns (a
 * saga): the runtime runs it. An unmarked state machine is one of CDK's own (a custom resource
 * Provider's waiter), which runs only during a deployment.
 */
export const APPLICATION_STATE_MACHINE_METADATA = 'course:application-state-machine';
