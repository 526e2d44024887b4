import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../src/index.ts';
import { FIXTURE_ASSEMBLY_DIR } from './fixture-app.ts';
import { appFunction, writeAssembly } from './hand-written-assembly.ts';
import { isRunning } from './processes.ts';

const running: LocalAws[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((local) => local.stop()));
});

async function start(options: Parameters<typeof startLocalAws>[0]): Promise<LocalAws> {
  const local = await startLocalAws(options);
  running.push(local);
  return local;
}

/** Waits (bounded) until `lines` holds a line matching `pattern`, and returns it. */
async function lineMatching(lines: string[], pattern: RegExp, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = lines.find((line) => pattern.test(line));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('stop()', () => {
  it('returns promptly while a consumer with a 15-minute timeout is still running a batch', async () => {
    // A consumer that logs its pid and then never finishes (within its 900 s timeout).
    const code = [
      'exports.handler = async () => {',
      "  console.log('consuming in', process.pid);",
      '  await new Promise(() => setInterval(() => {}, 60_000));',
      '};',
    ].join('\n');
    const dir = writeAssembly(
      {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 900 } },
        Fn: appFunction({ Timeout: 900 }),
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
            FunctionName: { Ref: 'Fn' },
          },
        },
      },
      {},
      code,
    );
    const lines: string[] = [];
    const local = await start({ assemblyDir: dir, log: (_source, line) => lines.push(line) });
    const sqs = new SQSClient({
      endpoint: local.endpoints.messaging,
      region: local.env.AWS_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const queue = local.model.queues[0];
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: `${local.endpoints.messaging}/${local.model.accountId}/${queue?.name}`,
        MessageBody: 'work',
      }),
    );
    const pid = Number((await lineMatching(lines, /consuming in \d+/)).match(/in (\d+)/)?.[1]);

    const began = performance.now();
    await local.stop();
    const tookMs = performance.now() - began;

    expect(tookMs).toBeLessThan(5_000);
    expect(isRunning(pid)).toBe(false);
    await expect(fetch(local.endpoints.messaging)).rejects.toThrow();
  });
});

describe('a function behind the HTTP API that runs past its timeout', () => {
  it('answers 500 {"message":"Internal Server Error"}, and the next call is a cold start', async () => {
    const lines: string[] = [];
    // Real time: the fallback function's timeout is CDK's default, 3 s, well inside API
    // Gateway's 30 s integration timeout, so the function's timeout is what ends the call.
    const local = await start({
      assemblyDir: FIXTURE_ASSEMBLY_DIR,
      log: (source, line) => lines.push(`[${source}] ${line}`),
    });
    const url = Object.values(local.httpApiUrls)[0];
    const fallback = local.model.functions.find((fn) => fn.logicalId.startsWith('Fallback'));

    const slow = await fetch(`${url}/anything?sleepMs=60000`);
    const next = await fetch(`${url}/anything`);

    expect(slow.status).toBe(500);
    expect(await slow.json()).toEqual({ message: 'Internal Server Error' });
    expect(next.status).toBe(200);
    expect(await next.json()).toEqual({ routeKey: '$default', path: '/anything' });
    const reports = lines.filter((line) => line.startsWith(`[${fallback?.name}] REPORT`));
    expect(reports).toHaveLength(2);
    expect(reports[0]).toContain('Status: timeout');
    expect(reports[1]).toMatch(/\tInit Duration: \d+\.\d\d ms/);
  });
});
