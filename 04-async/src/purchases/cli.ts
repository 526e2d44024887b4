/*
 * The purchase saga's executions, for the lab's tour: a purchase's execution history as a
 * timeline, a replay of it, and a second start of it under its own name.
 *
 * Usage: see USAGE below (or run it with --help).
 *
 * It talks to Step Functions with @aws-sdk/client-sfn: against the local runtime with --endpoint,
 * on AWS with the SDK's usual configuration (profile, region, credentials) when it is absent.
 */
import { parseArgs } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import { LOGICAL_IDS } from '../../cdk/logical-ids.ts';
import {
  findPurchaseSaga,
  formatTimeline,
  parseStateMachineArn,
  purchaseExecution,
  readHistory,
  replay,
  startAgain,
  stateTransitions,
  timelineOf,
} from './saga-executions.ts';

const USAGE = `Usage: pnpm --filter @course/async saga <command> <purchase id> [options]

Commands:
  history <purchase id>       the purchase's execution, event by event (GetExecutionHistory)
  replay <purchase id>        runs it again with the same input under a new name
                              (<purchase id>-replay-<n>), waits for the end, prints the outcome
  start-again <purchase id>   StartExecution with its own name and input, as a duplicate start:
                              prints Step Functions' answer (ExecutionAlreadyExists once ended)

Options:
  --endpoint <url>        the local Step Functions API (printed by \`pnpm start 04\`); omit on AWS
  --state-machine <arn>   the purchase saga's ARN (printed by \`pnpm start 04\`); on AWS, when
                          omitted, the one state machine named after ${LOGICAL_IDS.purchaseSaga}
  --wait <seconds>        how long replay waits for the end (default 300)
  --help                  this text
`;

const COMMANDS = ['history', 'replay', 'start-again'] as const;
type Command = (typeof COMMANDS)[number];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    endpoint: { type: 'string' },
    'state-machine': { type: 'string' },
    wait: { type: 'string', default: '300' },
    help: { type: 'boolean', default: false },
  },
});

function sfnClient(endpoint: string | undefined, region: string | undefined): SFNClient {
  if (endpoint === undefined) return new SFNClient(region === undefined ? {} : { region });
  // The local runtime checks no signature; the SDK only needs some credentials to sign with.
  return new SFNClient({
    endpoint,
    region: region ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const [command, purchaseId, ...rest] = positionals;
  if (!COMMANDS.includes(command as Command) || purchaseId === undefined || rest.length > 0) {
    throw new Error(`expected one of ${COMMANDS.join(', ')} and a purchase id\n\n${USAGE}`);
  }
  const waitSeconds = Number(values.wait);
  if (!(waitSeconds > 0)) throw new Error(`--wait ${values.wait}: expected a number of seconds`);
  const given = values['state-machine'];
  if (given === undefined && values.endpoint !== undefined) {
    // The local API serves no ListStateMachines: the runtime prints the ARN at start.
    throw new Error('pass --state-machine <arn>: `pnpm start 04` prints it (state machine arn:…)');
  }
  const sfn = sfnClient(
    values.endpoint,
    given === undefined ? undefined : parseStateMachineArn(given).region,
  );
  try {
    const stateMachineArn = given ?? (await findPurchaseSaga(sfn));
    switch (command as Command) {
      case 'history':
        return await history(sfn, stateMachineArn, purchaseId);
      case 'replay':
        return await replayed(sfn, stateMachineArn, purchaseId, waitSeconds);
      case 'start-again':
        return await startedAgain(sfn, stateMachineArn, purchaseId);
    }
  } finally {
    sfn.destroy();
  }
}

async function history(sfn: SFNClient, stateMachineArn: string, purchaseId: string) {
  const execution = await purchaseExecution(sfn, stateMachineArn, purchaseId);
  const events = await readHistory(sfn, execution.executionArn ?? '');
  print(`execution ${execution.executionArn}`);
  for (const line of formatTimeline(timelineOf(events))) print(line);
  print(
    `${execution.status}${execution.error === undefined ? '' : ` (${execution.error})`}: ` +
      `${events.length} events, ${stateTransitions(events)} state transitions`,
  );
}

async function replayed(
  sfn: SFNClient,
  stateMachineArn: string,
  purchaseId: string,
  waitSeconds: number,
) {
  const { name, execution, history } = await replay(sfn, stateMachineArn, purchaseId, {
    timeoutMs: waitSeconds * 1000,
  });
  print(`replayed as ${name} (same input: ${execution.input})`);
  // What each step answered on the replay: already done, so done again without effect.
  for (const entry of timelineOf(history)) {
    if (entry.type === 'TaskSucceeded' || entry.type === 'TaskFailed') {
      print(`  ${entry.state}: ${entry.detail ?? entry.type}`);
    }
  }
  const error = execution.error === undefined ? '' : ` (${execution.error})`;
  print(`${execution.status}${error}: ${stateTransitions(history)} state transitions`);
}

async function startedAgain(sfn: SFNClient, stateMachineArn: string, purchaseId: string) {
  const second = await startAgain(sfn, stateMachineArn, purchaseId);
  if (second.answer === 'refused') {
    print(`StartExecution ${purchaseId}: refused, ${second.error}: ${second.message}`);
    print(`the execution of that name ended ${second.execution.status}: it does not run twice`);
  } else {
    print(
      `StartExecution ${purchaseId}: answered with the same execution, still ` +
        `${second.execution.status} (same name and input while it runs): it does not run twice`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`saga: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
