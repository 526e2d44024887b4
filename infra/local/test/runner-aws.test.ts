import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/free-port.ts';
import { startStage } from '../src/runner.ts';
import awsStage from './fixtures/aws-stage/stage.ts';

const scratch = mkdtempSync(join(tmpdir(), 'course-local-aws-stage-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('startStage with a local AWS', () => {
  it('serves the CDK app, gives every process its endpoints, exposes the HTTP APIs, and stops it', async () => {
    const lines: string[] = [];
    const stage = await startStage(awsStage, {
      env: {},
      publicPort: await freePort(),
      dataDir: scratch,
      log: (line) => lines.push(line),
    });
    let apiUrlAfterStop: string | undefined;
    try {
      const greeting = await (await fetch(`${stage.url}/api/greetings/ada`)).json();
      const awsEnv = (await (await fetch(`${stage.url}/aws-env`)).json()) as Record<string, string>;
      const invokeEndpoint = awsEnv.AWS_ENDPOINT_URL_LAMBDA ?? '';
      const invoke = await fetch(
        `${invokeEndpoint}/2015-03-31/functions/${awsEnv.GREET_FUNCTION}/invocations`,
        { method: 'POST', body: JSON.stringify({ pathParameters: { name: 'direct' } }) },
      );

      expect(greeting).toMatchObject({ greeting: 'Hello, ada', routeKey: 'GET /greetings/{name}' });
      expect(awsEnv).toMatchObject({
        AWS_ENDPOINT_URL_SQS: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        AWS_ENDPOINT_URL_SNS: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: expect.any(String),
        // ctx.functionNames: the local name, by the logical id in the template
        GREET_FUNCTION: 'AwsLocalFixture-Greet8553ACA9',
      });
      expect(invoke.status).toBe(200);
      expect(
        lines.some((line) =>
          line.includes('GET /greetings/{name} → AwsLocalFixture-Greet8553ACA9'),
        ),
      ).toBe(true);
      apiUrlAfterStop = lines
        .find((line) => line.includes('HTTP API ApiF70053CD at'))
        ?.match(/at (\S+)/)?.[1];
    } finally {
      await stage.stop();
    }

    await expect(fetch(`${apiUrlAfterStop}/greetings/x`)).rejects.toThrow();
  });
});
