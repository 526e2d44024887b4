/*
 * Reads the audit log: one line per recorded event, oldest day first.
 *
 * Usage: see USAGE below (or run it with --help).
 *
 * S3 cannot search inside objects, so --trace reads each listed object and keeps the matching
 * ones: fine for a day or a lab, not for years of events (query the bucket with Athena then, its
 * yyyy/mm/dd folders as partitions).
 */
import { parseArgs } from 'node:util';
import {
  GetObjectCommand,
  ListBucketsCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { parseDomainEvent } from '@course/contract/events';
import { LOGICAL_IDS } from '../../cdk/logical-ids.ts';
import { EVENTS_PREFIX } from './audit-log.ts';

const USAGE = `Usage: pnpm --filter @course/async audit-log [options]

  --endpoint <url>    the local AWS endpoint (printed by \`pnpm start 04\`); omit on AWS
  --bucket <name>     the audit log bucket; on AWS the stack's bucket, locally found by its
                      logical id (${LOGICAL_IDS.auditBucket}) when omitted
  --day <yyyy-mm-dd>  only the events of that day (UTC)
  --trace <id>        only the events of that request (its X-Request-Id)
  --help              this text
`;

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    bucket: { type: 'string' },
    day: { type: 'string' },
    trace: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

function s3Client(endpoint: string | undefined): S3Client {
  if (endpoint === undefined) return new S3Client({});
  // The local AWS checks no signature; the SDK only needs some credentials to sign with.
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Locally the runtime names a bucket after its stack and logical id, as CloudFormation does. */
async function localAuditBucket(s3: S3Client): Promise<string> {
  const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
  const logicalId = LOGICAL_IDS.auditBucket.toLowerCase();
  const found = Buckets.find(({ Name }) => Name?.includes(logicalId));
  if (found?.Name === undefined) {
    throw new Error(`no bucket named after ${LOGICAL_IDS.auditBucket}: pass --bucket`);
  }
  return found.Name;
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.day !== undefined && !/^\d{4}-\d\d-\d\d$/.test(values.day)) {
    throw new Error(`--day ${values.day}: expected yyyy-mm-dd`);
  }
  const s3 = s3Client(values.endpoint);
  const bucket = values.bucket ?? (await localAuditBucket(s3));
  const prefix = `${EVENTS_PREFIX}${values.day?.replaceAll('-', '/') ?? ''}`;
  let count = 0;
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: prefix },
  )) {
    for (const { Key } of page.Contents ?? []) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      const event = parseDomainEvent(await object.Body?.transformToString());
      if (values.trace !== undefined && event.traceId !== values.trace) continue;
      count += 1;
      const { username, balance } = event.data;
      const spin =
        event.type === 'SpinSettled' ? ` bet ${event.data.bet} won ${event.data.payout}` : '';
      process.stdout.write(
        `${event.time} ${event.type} ${username}${spin} balance ${balance} trace ${event.traceId} event ${event.id}\n`,
      );
    }
  }
  process.stdout.write(`${count} event(s) in s3://${bucket}/${prefix}\n`);
  s3.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`audit: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
