/*
 * The reconciler's SagaExecutions over Step Functions: DescribeExecution of the execution named by
 * the purchase id. Like the starter (./saga-starter.ts), the SDK finds the region and, locally, the
 * endpoint in the environment; on AWS the call goes through the VPC's Step Functions endpoint.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
} from '@aws-sdk/client-sfn';
import type { ExecutionState, SagaExecutions } from './reconcile.ts';

/** How long one DescribeExecution may take, retries included: one slow answer never stalls a run. */
const DESCRIBE_DEADLINE_MS = 3_000;

/** What the reconciler needs of an SFNClient: DescribeExecution, with a deadline. */
export interface ExecutionDescriber {
  send(
    command: DescribeExecutionCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<DescribeExecutionCommandOutput>;
}

/**
 * An execution's ARN from its state machine's and its name, as Step Functions builds it:
 * `arn:<partition>:states:<region>:<account>:execution:<state machine name>:<execution name>`.
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export function stepFunctionsSagaExecutions(
  sfn: ExecutionDescriber,
  stateMachineArn: string,
): SagaExecutions {
  return {
    async describe(purchaseId) {
      try {
        const { status, error, cause } = await sfn.send(
          new DescribeExecutionCommand({
            executionArn: executionArnOf(stateMachineArn, purchaseId),
          }),
          { abortSignal: AbortSignal.timeout(DESCRIBE_DEADLINE_MS) },
        );
        // Always present on AWS; absent, the reconciler leaves the purchase alone.
        const state: ExecutionState = { status: status ?? 'RUNNING' };
        if (error) state.error = error;
        if (cause) state.cause = cause;
        return state;
      } catch (err) {
        if (err instanceof ExecutionDoesNotExist) return undefined;
        throw err;
      }
    },
  };
}
