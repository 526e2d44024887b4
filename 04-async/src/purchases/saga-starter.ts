/*
 * The shop's SagaStarter over Step Functions: StartExecution of the purchase saga, named by the
 * purchase id, with the id as its only input. The SDK finds the region and, locally, the endpoint
 * (AWS_ENDPOINT_URL_SFN: the local AWS runtime) in the environment; on AWS the call goes through
 * the VPC's Step Functions interface endpoint.
 */
import {
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
  type StartExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import type { SagaInput } from './saga.ts';
import type { SagaStarter } from './shop.ts';

/**
 * How long one StartExecution may take, its retries included: a Step Functions endpoint that
 * never answers must not hold the request until the function's timeout (API Gateway would then
 * answer a bare 500). The shop answers 503 instead, and the client retries with its key.
 */
export const START_DEADLINE_MS = 3_000;

/** One SFN client per execution environment: its connections are reused across requests. */
export function sagaSfnClient(): SFNClient {
  return new SFNClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1_000 } });
}

/** What the starter needs of an SFNClient: StartExecution, with a deadline. */
export interface ExecutionStarter {
  send(
    command: StartExecutionCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<StartExecutionCommandOutput>;
}

export function stepFunctionsSagaStarter(
  sfn: ExecutionStarter,
  stateMachineArn: string,
): SagaStarter {
  return {
    async start(purchaseId) {
      const input: SagaInput = { purchaseId };
      try {
        await sfn.send(
          new StartExecutionCommand({
            stateMachineArn,
            name: purchaseId,
            input: JSON.stringify(input),
          }),
          { abortSignal: AbortSignal.timeout(START_DEADLINE_MS) },
        );
      } catch (err) {
        // A Standard workflow answers a running execution of the same name and input with its
        // ARN, and one that has ended with ExecutionAlreadyExists: either way it has started.
        if (err instanceof ExecutionAlreadyExists) return;
        throw err;
      }
    },
  };
}
