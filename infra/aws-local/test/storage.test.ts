import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../src/index.ts';
import { FIXTURE_ASSEMBLY_DIR } from './fixture-app.ts';
import { failureOf } from './sdk-failure.ts';

const BUCKET_ID = 'Records091F6ECA';

let storage: string;
let local: LocalAws;
const lines: string[] = [];

const start = () =>
  startLocalAws({
    assemblyDir: FIXTURE_ASSEMBLY_DIR,
    s3StorageDir: storage,
    log: (source, line) => lines.push(`[${source}] ${line}`),
  });

beforeAll(async () => {
  storage = mkdtempSync(join(tmpdir(), 'aws-local-s3-'));
  local = await start();
});
afterAll(async () => {
  await local?.stop();
  rmSync(storage, { recursive: true, force: true });
});

/** A client configured as a process of the stage is: only the endpoint variable, no path-style flag. */
function s3Client(): S3Client {
  return new S3Client({
    endpoint: local.env.AWS_ENDPOINT_URL_S3,
    region: local.env.AWS_REGION,
    credentials: {
      accessKeyId: local.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: local.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  });
}

const bucket = () => local.bucketNames[BUCKET_ID] ?? '';

describe('S3 buckets of the template, served by fauxqs', () => {
  it('creates each bucket and gives every process and function the S3 endpoint', () => {
    expect(local.bucketNames).toEqual({ [BUCKET_ID]: 'awslocalfixture-records091f6eca' });
    expect(local.env.AWS_ENDPOINT_URL_S3).toBe(local.endpoints.messaging);
    expect(lines).toContain(
      `[aws-local] bucket awslocalfixture-records091f6eca: ignored VersioningConfiguration (versioning is not emulated: a write replaces the object)`,
    );
  });

  it('answers PutObject, GetObject and ListObjectsV2 from @aws-sdk/client-s3, path-style on the IP endpoint', async () => {
    const s3 = s3Client();

    await s3.send(
      new PutObjectCommand({ Bucket: bucket(), Key: 'events/2026/12/06/a.json', Body: '{"a":1}' }),
    );
    const got = await s3.send(
      new GetObjectCommand({ Bucket: bucket(), Key: 'events/2026/12/06/a.json' }),
    );
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: 'events/' }));

    expect(await got.Body?.transformToString()).toBe('{"a":1}');
    expect(listed.Contents?.map((o) => o.Key)).toContain('events/2026/12/06/a.json');
  });

  it('keeps each object as a file under the storage folder, where a learner can open it', async () => {
    await s3Client().send(
      new PutObjectCommand({ Bucket: bucket(), Key: 'open/me.json', Body: '{"open":true}' }),
    );

    const file = join(storage, 'buckets', bucket(), 'objects', 'open', 'me.json.data');
    expect(readFileSync(file, 'utf8')).toBe('{"open":true}');
  });

  it('refuses a second write of a key with If-None-Match: * as S3 does (412 PreconditionFailed), keeping the first', async () => {
    const s3 = s3Client();
    const put = (body: string) =>
      s3.send(
        new PutObjectCommand({ Bucket: bucket(), Key: 'once.json', Body: body, IfNoneMatch: '*' }),
      );
    await put('first');

    const refused = await failureOf(put('second'), S3ServiceException);

    expect(refused.name).toBe('PreconditionFailed');
    expect(refused.$metadata.httpStatusCode).toBe(412);
    const kept = await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: 'once.json' }));
    expect(await kept.Body?.transformToString()).toBe('first');
  });

  it('lets exactly one of several concurrent conditional writes of a key succeed', async () => {
    const s3 = s3Client();
    const writers = Array.from({ length: 8 }, (_, i) =>
      s3
        .send(
          new PutObjectCommand({
            Bucket: bucket(),
            Key: 'race.json',
            Body: `writer ${i}`,
            IfNoneMatch: '*',
          }),
        )
        .then(
          () => 'written',
          (error: S3ServiceException) => error.name,
        ),
    );

    const outcomes = await Promise.all(writers);

    expect(outcomes.filter((o) => o === 'written')).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => o !== 'written')) {
      expect(['PreconditionFailed', 'ConditionalRequestConflict']).toContain(outcome);
    }
  });

  it('answers If-Match on a write NotImplemented rather than ignore it and overwrite', async () => {
    const s3 = s3Client();
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: 'match.json', Body: 'v1' }));

    const refused = await failureOf(
      s3.send(
        new PutObjectCommand({ Bucket: bucket(), Key: 'match.json', Body: 'v2', IfMatch: '"x"' }),
      ),
      S3ServiceException,
    );

    expect(refused.$metadata.httpStatusCode).toBe(501);
    const kept = await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: 'match.json' }));
    expect(await kept.Body?.transformToString()).toBe('v1');
  });

  it('serves a function that imports @aws-sdk/client-s3 without bundling it, as Lambda provides it', async () => {
    const lambda = new LambdaClient({
      endpoint: local.env.AWS_ENDPOINT_URL_LAMBDA,
      region: local.env.AWS_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const record = async (text: string) => {
      const result = await lambda.send(
        new InvokeCommand({
          FunctionName: 'AwsLocalFixture-RecorderC4C6639E',
          Payload: JSON.stringify({ key: 'records/r1.json', text }),
        }),
      );
      expect(result.FunctionError).toBeUndefined();
      return JSON.parse(new TextDecoder().decode(result.Payload));
    };

    const first = await record('one');
    const again = await record('two');

    expect(first).toEqual({ written: true, stored: 'one' });
    expect(again).toEqual({ written: false, stored: 'one' });
  });

  it('keeps the objects across a restart with the same storage folder', async () => {
    await s3Client().send(
      new PutObjectCommand({ Bucket: bucket(), Key: 'kept.json', Body: 'still here' }),
    );
    await local.stop();

    local = await start();
    const got = await s3Client().send(new GetObjectCommand({ Bucket: bucket(), Key: 'kept.json' }));

    expect(await got.Body?.transformToString()).toBe('still here');
    expect(existsSync(join(storage, 'buckets', bucket()))).toBe(true);
  });
});
