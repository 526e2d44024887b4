/*
 * fauxqs (npm, MIT, pure Node) serves SQS (JSON 1.0), SNS (query protocol) and S3 (REST) on one
 * port; the runtime writes no SQS or S3 of its own. We build its app with `buildApp` and listen
 * ourselves rather than call `startFauxqs`, which listens on 0.0.0.0: a laptop's queues and
 * buckets stay on 127.0.0.1. What fauxqs lacks is added here, each in its own file: S3's
 * conditional writes (conditional-writes.ts) and SQS's dead-letter redrive (move-tasks.ts).
 */
import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { serveConditionalWrites } from './conditional-writes.ts';
import { createFauxqsStores } from './fauxqs-stores.ts';
import { serveMoveTasks } from './move-tasks.ts';
import { nameFromArn, queueUrlFor } from './names.ts';

export interface MessagingServer {
  /** `http://127.0.0.1:<port>`: SQS, SNS and S3. */
  readonly endpoint: string;
  readonly port: number;
  /** Clients for the runtime's own calls (never the application's). */
  client(region: string): RuntimeClients;
  /** Installs the refuse-publish decision (the messaging's fault switches); none: never refused. */
  setPublishGate(gate: PublishGate): void;
  /** fauxqs's non-destructive view of a queue: ready, delayed and in-flight messages. */
  inspectQueue(name: string): Promise<QueueSnapshot | undefined>;
  close(): Promise<void>;
}

export interface RuntimeClients {
  sqs: SQSClient;
  sns: SNSClient;
  s3: S3Client;
}

export interface MessagingServerOptions {
  port?: number;
  /**
   * Where S3 objects are kept, as files a learner can open (fauxqs's file layout:
   * `buckets/<bucket>/objects/<key>.data`, metadata beside it); kept across restarts. Without
   * it, in memory.
   */
  s3StorageDir?: string;
}

export interface QueueSnapshot {
  name: string;
  messages: {
    ready: unknown[];
    delayed: unknown[];
    inflight: Array<{ receiptHandle: string; message: { messageId: string; body: string } }>;
  };
}

/** Fake credentials: fauxqs accepts any and checks none. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * fauxqs answers its own validation errors in SQS's and SNS's shapes, but a body that is not JSON,
 * or a field of the wrong type, escapes to Fastify as a 500 in Fastify's shape, which the SDK
 * cannot read. Every such error passes here: a parse or type error is the client's (400
 * SerializationException, as AWS's JSON protocol answers; InvalidParameter for SNS's query
 * protocol), anything else an InternalFailure (500) — both in the shape the SDK parses.
 */
export function awsErrorAnswer(
  error: Error,
  contentType: string,
): { status: number; contentType: string; headers: Record<string, string>; body: string } {
  const clientFault = error instanceof SyntaxError || error instanceof TypeError;
  const status = clientFault ? 400 : 500;
  const faultOf = clientFault ? 'Sender' : 'Receiver';
  if (contentType.includes('x-www-form-urlencoded')) {
    const code = clientFault ? 'InvalidParameter' : 'InternalFailure';
    return {
      status,
      contentType: 'text/xml',
      headers: {},
      body: snsErrorXml(faultOf, code, error.message),
    };
  }
  const type = clientFault ? 'SerializationException' : 'InternalFailure';
  return {
    status,
    contentType: 'application/x-amz-json-1.0',
    headers: { 'x-amzn-query-error': `${type};${faultOf}` },
    body: JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message: error.message }),
  };
}

/** An error in SNS's query-protocol XML shape, which @aws-sdk/client-sns parses. */
export function snsErrorXml(faultOf: 'Sender' | 'Receiver', code: string, message: string): string {
  const escaped = message.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
  return (
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${faultOf}</Type>` +
    `<Code>${code}</Code><Message>${escaped}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}

/**
 * Decides whether a Publish or PublishBatch to a topic is refused (the refuse-publish fault
 * switch); `call` is the SDK call's invocation id, shared by its retries.
 */
export type PublishGate = (topicName: string, call: string | undefined) => boolean;

export async function openMessagingServer(
  options: MessagingServerOptions = {},
): Promise<MessagingServer> {
  const { stores, close: closeStores } = await createFauxqsStores(options.s3StorageDir);
  const app = buildApp({ logger: false, stores });
  let endpoint = '';
  const clients = new Map<string, RuntimeClients>();
  const client = (region: string): RuntimeClients => {
    let pair = clients.get(region);
    if (!pair) {
      const config = { endpoint, region, credentials: LOCAL_CREDENTIALS };
      pair = { sqs: new SQSClient(config), sns: new SNSClient(config), s3: new S3Client(config) };
      clients.set(region, pair);
    }
    return pair;
  };
  serveConditionalWrites(app, stores.s3Store);
  let publishGate: PublishGate = () => false;
  // An SNS outage on demand: answered as SNS answers when it cannot serve (Common Errors of the
  // SNS API Reference: ServiceUnavailable, 503), before fauxqs delivers anything.
  app.addHook('preHandler', async (request, reply) => {
    const body = request.body as Record<string, string> | undefined;
    if (
      request.method !== 'POST' ||
      (body?.Action !== 'Publish' && body?.Action !== 'PublishBatch')
    ) {
      return;
    }
    const topicArn = body.TopicArn ?? body.TargetArn ?? '';
    const call = request.headers['amz-sdk-invocation-id'];
    if (!publishGate(nameFromArn(topicArn), typeof call === 'string' ? call : undefined)) return;
    return reply
      .status(503)
      .type('text/xml')
      .send(
        snsErrorXml(
          'Receiver',
          'ServiceUnavailable',
          'The request has failed due to a temporary failure of the server (local fault switch refuse-publish).',
        ),
      );
  });
  const moveTasks = serveMoveTasks(app, {
    endpoint: () => endpoint,
    client: (region) => client(region).sqs,
  });
  // fauxqs names queues `http://sqs.<region>.localhost:<port>/…` (see names.ts for why we
  // cannot hand that out): answer with the URL the model resolved instead, in every response.
  app.addHook('onSend', async (_request, _reply, payload) =>
    typeof payload === 'string'
      ? payload.replace(
          /https?:\/\/sqs\.[a-z0-9-]+\.localhost(?::\d+)?\/(\d{12})\//g,
          (_m, account) => queueUrlFor(endpoint, account, ''),
        )
      : payload,
  );
  app.setErrorHandler((error: Error, request, reply) => {
    const answer = awsErrorAnswer(error, String(request.headers['content-type'] ?? ''));
    void reply
      .status(answer.status)
      .type(answer.contentType)
      .headers(answer.headers)
      .send(answer.body);
  });
  try {
    endpoint = (await app.listen({ port: options.port ?? 0, host: '127.0.0.1' })).replace(
      /\/$/,
      '',
    );
  } catch (error) {
    closeStores();
    throw error;
  }
  const port = Number(new URL(endpoint).port);

  return {
    endpoint,
    port,
    client,
    setPublishGate(gate) {
      publishGate = gate;
    },
    async inspectQueue(name) {
      const response = await fetch(`${endpoint}/_fauxqs/queues/${encodeURIComponent(name)}`);
      return response.ok ? ((await response.json()) as QueueSnapshot) : undefined;
    },
    async close() {
      await moveTasks.stop();
      for (const { sqs, sns, s3 } of clients.values()) {
        sqs.destroy();
        sns.destroy();
        s3.destroy();
      }
      await app.close();
      closeStores();
    },
  };
}
