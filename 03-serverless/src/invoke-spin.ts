/*
 * Lab 03's direct invoke: one spin by calling the write function directly through the Lambda
 * Invoke API, as the course module's page did with `lambda.invoke`, printing the wheels, whether
 * it won, and the function's own log (LogType: 'Tail': the last 4 KB of it, base64 in the answer).
 *
 * Usage: see USAGE below (or run it with --help).
 *
 * Locally, `pnpm start 03` prints the Lambda Invoke API's address ("Lambda Invoke API at …").
 * On AWS the SDK uses your credentials and region; the function's name is the stack's output
 * SpinFunctionName.
 *
 * The payload is the event API Gateway would send for POST /api/slots/spins, with the demo
 * player's token from logging in through the stage's users service. So the function runs exactly
 * as behind the HTTP API — token verified, Idempotency-Key honoured — and gains no second way in:
 * a "small payload" entry that took a player id would let whoever may invoke the function spin
 * with anybody's credits, and would be a second path into the code that moves money.
 */
import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DEMO_PASSWORD } from '@course/monolith/seed';
import { LOGICAL_IDS } from '../cdk/logical-ids.ts';
import { httpApiEvent, spinRequest } from './lambda/event.ts';

/** The local runtime names a function `<stack>-<logical id>` (CloudFormation adds a suffix). */
const LOCAL_WRITE_FUNCTION = `CourseServerless-${LOGICAL_IDS.writeFunction}`;

const USAGE = `Usage: pnpm --filter @course/serverless invoke-spin [options]

  --endpoint <url>   the local Lambda Invoke API (printed by \`pnpm start 03\`); omit on AWS
  --function <name>  the write function; on AWS the stack output SpinFunctionName
                     (locally: ${LOCAL_WRITE_FUNCTION})
  --base-url <url>   where to log in: the stage's URL (default http://localhost:3000; on AWS
                     the stack output Url)
  --player <name>    a demo player to spin as (default alice)
  --bet <credits>    the bet (default 1)
  --help             this text
`;

const { values } = parseArgs({
  options: {
    'base-url': { type: 'string', default: 'http://localhost:3000' },
    endpoint: { type: 'string' },
    function: { type: 'string' },
    player: { type: 'string', default: 'alice' },
    bet: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});

async function logIn(baseUrl: string, username: string): Promise<string> {
  const url = new URL('/api/sessions', baseUrl);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  }).catch((error: unknown) => {
    const reason = error instanceof Error ? (error.cause ?? error).toString() : String(error);
    throw new Error(`cannot reach ${url} to log in (${reason}): is --base-url right?`);
  });
  if (!response.ok) {
    throw new Error(`logging in as ${username} at ${url} answered ${response.status}`);
  }
  const { token } = (await response.json()) as { token: string };
  return token;
}

function lambdaClient(endpoint: string | undefined): LambdaClient {
  if (endpoint === undefined) return new LambdaClient({});
  // The local runtime checks no signature; the SDK only needs some credentials to sign with.
  return new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const functionName = values.function ?? (values.endpoint ? LOCAL_WRITE_FUNCTION : undefined);
  if (functionName === undefined) {
    throw new Error(
      `--function <name> is needed against AWS (or --endpoint for the local one)\n\n${USAGE}`,
    );
  }
  const token = await logIn(values['base-url'], values.player);
  const event = httpApiEvent(spinRequest(token, { bet: Number(values.bet) }, crypto.randomUUID()));

  const answer = await lambdaClient(values.endpoint).send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: JSON.stringify(event),
      LogType: 'Tail',
    }),
  );
  const payload = JSON.parse(new TextDecoder().decode(answer.Payload)) as {
    statusCode?: number;
    body?: string;
  };
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (answer.FunctionError !== undefined) {
    out(`The function failed (${answer.FunctionError}): ${JSON.stringify(payload)}`);
  } else if (payload.statusCode === 201) {
    const spin = JSON.parse(payload.body ?? '{}') as {
      reels: string[];
      bet: number;
      payout: number;
      balance: number;
    };
    out(`Wheels:  ${spin.reels.join(' | ')}`);
    out(
      spin.payout > 0
        ? `You won ${spin.payout} credits!`
        : `No win: the bet of ${spin.bet} is lost.`,
    );
    out(`Balance: ${spin.balance}`);
  } else {
    out(`The function answered ${payload.statusCode}: ${payload.body}`);
  }
  out('');
  out(`The function's log (LogType: 'Tail'):`);
  out(Buffer.from(answer.LogResult ?? '', 'base64').toString('utf8'));
}

main().catch((error: unknown) => {
  process.stderr.write(`invoke-spin: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
