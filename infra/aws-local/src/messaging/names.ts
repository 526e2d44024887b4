/*
 * How the model's queues and topics are named at the local endpoint. The assembly reader resolves
 * a queue's `Ref` (its URL) and `Fn::GetAtt Arn` with these functions BEFORE the model exists, so
 * they must produce exactly what fauxqs serves; messaging.test.ts checks that they do.
 */

/** The only account fauxqs knows: every ARN and queue URL it serves carries it. */
export const FAUXQS_ACCOUNT_ID = '000000000000';

/**
 * `http://127.0.0.1:<port>/<account>/<name>`: the queue's URL at the messaging endpoint.
 *
 * Why not fauxqs's own `http://sqs.<region>.localhost:<port>/…`: the SDK v3 SQS client sends each
 * request to the host of its `QueueUrl` unless the client was built with an explicit `endpoint`
 * (`AWS_ENDPOINT_URL_SQS` does not count), and `sqs.<region>.localhost` does not resolve
 * everywhere (Debian's resolver, for one). fauxqs finds a queue by the URL's path when the host
 * carries no region, so this URL reaches the same queue; the server (server.ts) answers
 * CreateQueue, GetQueueUrl and ListQueues with it too.
 */
export function queueUrlFor(endpoint: string, accountId: string, name: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${accountId}/${name}`;
}

export function queueArnFor(region: string, accountId: string, name: string): string {
  return `arn:aws:sqs:${region}:${accountId}:${name}`;
}

export function topicArnFor(region: string, accountId: string, name: string): string {
  return `arn:aws:sns:${region}:${accountId}:${name}`;
}

/** The last segment of an SQS or SNS ARN: the resource's name. */
export function nameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}
