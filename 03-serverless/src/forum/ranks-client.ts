import {
  InvokeCommand,
  LambdaClient,
  type LambdaClientConfig,
  LambdaServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { badgesOrNone, ranksSchema } from '@course/containers/forum';
import type { AuthorRanks } from '@course/monolith/forum';
import { createDependency, type Logger } from '@course/service-kit/core';
import { z } from 'zod';

/** The function ran and failed (it threw, timed out or crashed): Lambda still answered 200. */
export class FunctionFailed extends Error {
  override readonly name = 'FunctionFailed';
}

/**
 * The forum's badges from the ranks function, through the Lambda Invoke API, under the same
 * policy as stage 02's HTTP call — a deadline per attempt, at most one retry, a circuit breaker,
 * and the fallback of a page without badges — but for one thing: a timeout is not retried.
 *
 * The SDK has a policy of its own, which must not stack on this one: by default it makes up to
 * 3 attempts and never gives up on a slow answer. So the client makes one attempt
 * (`maxAttempts: 1`), its connection and request timeouts are the deadline, and the deadline's
 * abort signal cancels the call. Every way an invocation can fail is a failure here, seen by the
 * breaker and ending in the fallback: an SDK error (throttled — TooManyRequestsException —, no
 * such function, no connection…), a FunctionError in the answer (the function threw or timed
 * out), an answer of the wrong shape.
 */
export function ranksFunctionBadges({
  functionName,
  timeoutMs,
  log,
  clientConfig = {},
}: {
  functionName: string;
  timeoutMs: number;
  log: Logger;
  /**
   * Where and as whom to call (endpoint, region, credentials); by default the SDK's own chain
   * (AWS_ENDPOINT_URL_LAMBDA and fake credentials locally, the task role on ECS). The attempts
   * and timeouts are not configurable here: they are the policy below.
   */
  clientConfig?: Omit<LambdaClientConfig, 'maxAttempts' | 'requestHandler'>;
}): AuthorRanks {
  const client = new LambdaClient({
    ...clientConfig,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
  const ranksFunction = createDependency({
    // No baseUrl: the SDK finds the Lambda endpoint itself, and only `call` is used.
    name: 'ranks-function',
    log,
    timeoutMs,
    retries: 1,
    // Not a timed-out Invoke: the deadline is shorter than a cold start of the ranks function,
    // and an Invoke the forum gave up on still runs to its end. A retry would start a second
    // environment beside the one still starting, and under load each cold start would bring
    // another: more cold starts and more database connections, for a page that shows fine
    // without badges.
    retryTimeouts: false,
    breaker: { failureThreshold: 3, openMs: 5_000 },
  });

  async function invoke(players: string[], requestId: string, signal: AbortSignal) {
    const answer = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        Payload: JSON.stringify({ players, requestId }),
      }),
      { abortSignal: signal },
    );
    const text = new TextDecoder().decode(answer.Payload);
    if (answer.FunctionError !== undefined) {
      throw new FunctionFailed(`${functionName} failed (${answer.FunctionError}): ${text}`);
    }
    return ranksSchema.parse(JSON.parse(text));
  }

  // The fallback is stage 02's: no badges when the lookup fails for good.
  return (authorIds, { requestId, log: requestLog }) =>
    badgesOrNone(
      ranksFunction.name,
      () =>
        ranksFunction.call((signal) => invoke([...authorIds], requestId, signal), {
          requestId,
          retryable: worthAnotherTry,
        }),
      requestLog,
    );
}

/**
 * What stage 02 retries over HTTP, in the SDK's terms: "not now" (throttled, a 5xx of the Lambda
 * service) and no connection. Not a FunctionError (the function ran and failed, like a 500), not
 * a wrong answer, not another 4xx (no such function, no permission): a second try fails the same.
 * (Nor a timeout: see retryTimeouts above.)
 */
function worthAnotherTry(err: unknown): boolean {
  if (err instanceof TooManyRequestsException) return true;
  if (err instanceof LambdaServiceException) return err.$fault === 'server';
  // Anything else the SDK threw before an answer came back: the connection failed.
  return !(
    err instanceof FunctionFailed ||
    err instanceof z.ZodError ||
    err instanceof SyntaxError
  );
}
