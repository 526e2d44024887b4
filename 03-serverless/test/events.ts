import { APIGatewayProxyEventV2Schema } from '@aws-lambda-powertools/parser/schemas/api-gatewayv2';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type HttpEventOptions, httpApiEvent } from '../src/lambda/event.ts';

export type EventOptions = HttpEventOptions;

/**
 * A fixture event for the handlers' unit tests, checked by Powertools' schema (an independent
 * description of payload format 2.0): a test never passes on an event API Gateway cannot send.
 */
export function httpEvent(options: EventOptions): APIGatewayProxyEventV2 {
  const event = httpApiEvent(options);
  // Parsing must neither reject a field nor strip one.
  const parsed = APIGatewayProxyEventV2Schema.parse(event);
  if (JSON.stringify(parsed) !== JSON.stringify(event)) {
    throw new Error('the fixture event is not one API Gateway sends');
  }
  return event;
}

/** The parts of Lambda's context a handler may read; the invocation has `remainingMs` left. */
export function lambdaContext(remainingMs = 10_000): Context {
  const deadline = performance.now() + remainingMs;
  const name = 'CourseServerless-SlotsReadFunction';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: '2026/12/06/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - performance.now())),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
