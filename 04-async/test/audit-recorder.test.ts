import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createLogger } from '@course/service-kit';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditKeyOf } from '../src/audit/audit-log.ts';
import { auditRecorder } from '../src/audit/recorder.ts';
import { spinSettled, sqsEventOf } from './fixtures.ts';

const log = createLogger({ service: 'audit', level: 'silent' });
const context = { awsRequestId: 'test', getRemainingTimeInMillis: () => 10_000 } as Context;

async function run(handler: ReturnType<typeof auditRecorder>, bodies: string[]) {
  const events = bodies.map((body) => {
    try {
      return JSON.parse(body);
    } catch {
      return undefined;
    }
  });
  return (await handler(sqsEventOf(bodies, events), context, () => undefined)) as SQSBatchResponse;
}

/** An S3 client that keeps objects in a map and, as S3 does, refuses a second write of a key. */
function writeOnceS3(): { s3: S3Client; objects: Map<string, string> } {
  const objects = new Map<string, string>();
  const s3 = new S3Client({ region: 'us-east-1' });
  s3.send = (async (command: { input: { Key: string; Body: string; IfNoneMatch?: string } }) => {
    const { Key, Body, IfNoneMatch } = command.input;
    if (IfNoneMatch === '*' && objects.has(Key)) {
      throw new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        $metadata: { httpStatusCode: 412 },
        message: 'At least one of the pre-conditions you specified did not hold',
      });
    }
    objects.set(Key, Body);
    return {};
  }) as unknown as S3Client['send'];
  return { s3, objects };
}

describe('the audit recorder', () => {
  it('keeps each event at events/<yyyy>/<mm>/<dd>/<event id>.json, by the UTC date of its time', () => {
    const event = { id: 'e0000000-0000-4000-8000-000000000001', time: '2026-12-31T23:30:00-02:00' };

    expect(auditKeyOf(event)).toBe('events/2027/01/01/e0000000-0000-4000-8000-000000000001.json');
  });

  it('counts an event already recorded (412 PreconditionFailed) as success', async () => {
    const { s3, objects } = writeOnceS3();
    const handler = auditRecorder({ s3, bucket: 'audit', log });
    const body = JSON.stringify(spinSettled());

    const first = await run(handler, [body]);
    const second = await run(handler, [body]);

    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(objects.size).toBe(1);
  });

  it('reports an event that breaks the contract as a batch item failure, and records the others', async () => {
    const { s3, objects } = writeOnceS3();
    const handler = auditRecorder({ s3, bucket: 'audit', log });
    const event = sqsEventOf([JSON.stringify(spinSettled()), '{"type":"SpinSettled"}', 'not json']);

    const response = (await handler(event, context, () => undefined)) as SQSBatchResponse;

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: event.Records[1]?.messageId },
      { itemIdentifier: event.Records[2]?.messageId },
    ]);
    expect(objects.size).toBe(1);
  });

  it('reports a failed write as a batch item failure, so that event comes back', async () => {
    const [stored, conflicting] = [spinSettled(), spinSettled()];
    const s3 = new S3Client({ region: 'us-east-1' });
    s3.send = (async (command: { input: { Key: string } }) => {
      if (command.input.Key !== auditKeyOf(conflicting)) return {};
      throw new S3ServiceException({
        name: 'ConditionalRequestConflict',
        $fault: 'client',
        $metadata: { httpStatusCode: 409 },
        message: 'A conflicting conditional operation is currently in progress',
      });
    }) as unknown as S3Client['send'];
    const handler = auditRecorder({ s3, bucket: 'audit', log });
    const event = sqsEventOf([JSON.stringify(stored), JSON.stringify(conflicting)]);

    const response = (await handler(event, context, () => undefined)) as SQSBatchResponse;

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.messageId }]);
  });

  it('reports a batch where every record failed record by record, not as an error (as the projector does)', async () => {
    const { s3 } = writeOnceS3();
    const handler = auditRecorder({ s3, bucket: 'audit', log });
    const event = sqsEventOf(['not json', '{}']);

    const response = (await handler(event, context, () => undefined)) as SQSBatchResponse;

    expect(response.batchItemFailures).toEqual(
      event.Records.map((record) => ({ itemIdentifier: record.messageId })),
    );
  });
});

describe('the audit recorder with the real S3 client, against fauxqs', () => {
  let fauxqs: FauxqsServer;
  let s3: S3Client;
  const bucket = 'audit-log-test';

  beforeAll(async () => {
    fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
    s3 = new S3Client({
      endpoint: `http://127.0.0.1:${fauxqs.port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    s3?.destroy();
    await fauxqs?.stop();
  });

  it('writes one JSON object per event holding the envelope as published', async () => {
    const handler = auditRecorder({ s3, bucket, log });
    const [win, loss] = [spinSettled(), spinSettled({ payout: 0, line: undefined })];
    const events = [win, loss];
    const bodies = events.map((event) => JSON.stringify(event));

    const response = await run(handler, bodies);

    expect(response.batchItemFailures).toEqual([]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'events/' }));
    expect(listed.Contents?.map(({ Key }) => Key).sort()).toEqual(events.map(auditKeyOf).sort());
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: auditKeyOf(win) }));
    expect(stored.ContentType).toBe('application/json');
    expect(await stored.Body?.transformToString()).toBe(bodies[0]);
  });
});
