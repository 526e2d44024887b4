import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createHarness, type Harness, type Player } from '@course/contract';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOGICAL_IDS } from '../../cdk/logical-ids.ts';
import {
  executionArnOf,
  findPurchaseSaga,
  parseStateMachineArn,
} from '../../src/purchases/saga-executions.ts';
import { asyncStageForThisFile, eventually } from '../support.ts';

/*
 * The lab's `saga` CLI (src/purchases/cli.ts) against stage 04 as `pnpm start 04` runs it: the
 * CLI runs as its own process, as a learner runs it, and talks to the local Step Functions API
 * with @aws-sdk/client-sfn. What it prints is checked against the purchase's record and the
 * databases, so a replay that applied something twice, or a timeline that lost a step, fails.
 */
const stage = asyncStageForThisFile();
const h = (): Harness => createHarness(() => stage.url);
const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const RUN_TIMEOUT_MS = 60_000;

afterEach(() => stage.clearFaults());

function stateMachineArn(): string {
  const arn = stage.context.stateMachineArns[LOGICAL_IDS.purchaseSaga];
  if (arn === undefined) throw new Error('stage 04 has no purchase saga');
  return arn;
}

/** Runs the CLI; resolves with its exit code and output (it never throws on a non-zero exit). */
function saga(
  args: string[],
  { endpoint = true, stateMachine = true } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const options = [
    ...(endpoint ? ['--endpoint', stage.localAws.stepFunctionsUrl] : []),
    ...(stateMachine ? ['--state-machine', stateMachineArn()] : []),
  ];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/purchases/cli.ts', ...args, ...options],
      { cwd: packageDir, timeout: RUN_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Buys a title and follows the purchase until its saga has ended. */
async function purchase(player: Player, titleId: string): Promise<{ id: string; status: string }> {
  const started = h().expectStatus(
    await h().send('createPurchase', { token: player.token, json: { titleId } }),
    202,
  );
  let status = 'running';
  await eventually(`purchase ${started.id} ended`, async () => {
    const read = h().expectStatus(
      await h().send('getPurchase', { token: player.token, params: { id: started.id } }),
      200,
    );
    status = read.status;
    return status !== 'running';
  });
  return { id: started.id, status };
}

async function balanceOf(player: Player): Promise<number> {
  return h().expectStatus(await h().send('getWallet', { token: player.token }), 200).balance;
}

/** The outbox's events about one purchase, by type. */
async function purchaseEvents(purchaseId: string): Promise<string[]> {
  const rows = await stage.query<{ type: string }>(
    'slots',
    `SELECT type FROM outbox WHERE event->'data'->>'purchaseId' = $1 ORDER BY position`,
    [purchaseId],
  );
  return rows.map((row) => row.type);
}

async function grantsOf(purchaseId: string): Promise<string[]> {
  const rows = await stage.query<{ status: string }>(
    'forum',
    'SELECT status FROM title_grants WHERE purchase_id = $1::uuid',
    [purchaseId],
  );
  return rows.map((row) => row.status);
}

/** The timeline's lines of one event type, as `<state> <detail>`, in order. */
function linesOf(stdout: string, type: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/))
    .filter(([, eventType]) => eventType === type)
    .map(([, , ...rest]) => rest.join(' '));
}

describe('saga history', () => {
  let player: Player;
  beforeAll(async () => {
    player = await h().newPlayer();
  }, RUN_TIMEOUT_MS);

  it(
    'prints a completed purchase as a timeline: debited, granted, completed, five state transitions',
    async () => {
      const { id, status } = await purchase(player, 'lucky-seven');

      const { code, stdout, stderr } = await saga(['history', id]);

      expect(status).toBe('completed');
      expect(code, stderr).toBe(0);
      expect(stdout).toContain(`execution ${executionArnOf(stateMachineArn(), id)}`);
      expect(linesOf(stdout, 'ExecutionStarted')).toEqual([`input {"purchaseId":"${id}"}`]);
      expect(linesOf(stdout, 'TaskSucceeded')).toEqual([
        'Debit outcome debited',
        'Grant outcome granted',
        'Complete outcome completed',
      ]);
      expect(stdout).toMatch(/\nSUCCEEDED: \d+ events, 5 state transitions\n$/);
      const elapsed =
        stdout.match(/^\s*(\d+) ms/gm)?.map((line) => Number.parseInt(line, 10)) ?? [];
      expect(elapsed.length).toBeGreaterThan(8);
      expect([...elapsed].sort((a, b) => a - b)).toEqual(elapsed);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'shows the grant refused for good and the compensation: seven state transitions',
    async () => {
      // The same player already holds Lucky Seven: the forum refuses a second one for good.
      const { id, status } = await purchase(player, 'lucky-seven');

      const { code, stdout, stderr } = await saga(['history', id]);

      expect(status).toBe('refunded');
      expect(code, stderr).toBe(0);
      expect(linesOf(stdout, 'TaskFailed')).toEqual([
        expect.stringMatching(/^Grant TitleRefused: /),
      ]);
      expect(linesOf(stdout, 'TaskSucceeded')).toEqual([
        'Debit outcome debited',
        'CancelGrant outcome cancelled',
        'Refund outcome refunded',
      ]);
      expect(stdout).toMatch(/\nFAILED \(PurchaseRefunded\): \d+ events, 7 state transitions\n$/);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'counts a retried grant as further state transitions (two failed attempts, then granted)',
    async () => {
      const buyer = await h().newPlayer();
      stage.localAws.messaging.faults.set(LOGICAL_IDS.grantFunction, { fail: { times: 2 } });
      const { id, status } = await purchase(buyer, 'high-roller');

      const { code, stdout, stderr } = await saga(['history', id]);

      expect(status).toBe('completed');
      expect(code, stderr).toBe(0);
      expect(linesOf(stdout, 'TaskFailed')).toEqual([
        expect.stringMatching(/^Grant Runtime\.ExitError/),
        expect.stringMatching(/^Grant Runtime\.ExitError/),
      ]);
      expect(stdout).toMatch(/\nSUCCEEDED: \d+ events, 7 state transitions\n$/);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'shows a rejected purchase ending at the Choice: three state transitions',
    async () => {
      const { id, status } = await purchase(player, 'reel-legend');

      const { code, stdout } = await saga(['history', id]);

      expect(status).toBe('rejected');
      expect(code).toBe(0);
      expect(linesOf(stdout, 'TaskSucceeded')).toEqual(['Debit outcome rejected']);
      expect(stdout).toMatch(/\nFAILED \(PurchaseNotDebited\): \d+ events, 3 state transitions\n$/);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'says so, and exits 1, for an id that names no execution',
    async () => {
      const id = crypto.randomUUID();

      const { code, stdout, stderr } = await saga(['history', id]);

      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toContain(`no execution named ${id}`);
    },
    RUN_TIMEOUT_MS,
  );
});

describe('saga replay', () => {
  it(
    'runs a completed purchase again under a new name: closed at the debit, nothing debited or granted twice',
    async () => {
      const player = await h().newPlayer();
      const { id } = await purchase(player, 'high-roller');
      const before = await balanceOf(player);

      const first = await saga(['replay', id]);
      const second = await saga(['replay', id]);

      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain(
        `replayed as ${id}-replay-1 (same input: {"purchaseId":"${id}"})`,
      );
      // A completed purchase has ended: a replay stops at the debit, never reaching a grant
      // whose failure would compensate a purchase that was paid for.
      expect(first.stdout).toContain('  Debit: outcome closed\n');
      expect(first.stdout).not.toContain('Grant:');
      expect(first.stdout).toMatch(/\nFAILED \(PurchaseNotDebited\): 3 state transitions\n$/);
      expect(second.stdout).toContain(`replayed as ${id}-replay-2`);
      expect(await balanceOf(player)).toBe(before);
      expect(await purchaseEvents(id)).toEqual(['CreditsSpent']);
      expect(await grantsOf(id)).toEqual(['granted']);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'runs a refunded purchase again: closed at the debit, no second refund',
    async () => {
      const player = await h().newPlayer();
      await purchase(player, 'lucky-seven');
      const { id, status } = await purchase(player, 'lucky-seven');
      const before = await balanceOf(player);

      const { code, stdout, stderr } = await saga(['replay', id]);

      expect(status).toBe('refunded');
      expect(code, stderr).toBe(0);
      expect(stdout).toContain('  Debit: outcome closed\n');
      expect(stdout).not.toContain('Grant:');
      expect(stdout).toMatch(/\nFAILED \(PurchaseNotDebited\): 3 state transitions\n$/);
      expect(await balanceOf(player)).toBe(before);
      expect(await purchaseEvents(id)).toEqual(['CreditsSpent', 'CreditsRefunded']);
      expect(await grantsOf(id)).toEqual(['cancelled']);
    },
    RUN_TIMEOUT_MS,
  );
});

describe('saga start-again', () => {
  it(
    'prints the ExecutionAlreadyExists refusal an ended purchase gets, and starts nothing',
    async () => {
      const player = await h().newPlayer();
      const { id } = await purchase(player, 'lucky-seven');
      const before = await balanceOf(player);

      const { code, stdout, stderr } = await saga(['start-again', id]);

      expect(code, stderr).toBe(0);
      expect(stdout).toContain(`StartExecution ${id}: refused, ExecutionAlreadyExists: `);
      expect(stdout).toContain('the execution of that name ended SUCCEEDED');
      expect(await balanceOf(player)).toBe(before);
      expect(await purchaseEvents(id)).toEqual(['CreditsSpent']);
    },
    RUN_TIMEOUT_MS,
  );
});

describe('saga arguments', () => {
  it(
    'asks for the state machine locally, where no ListStateMachines is served',
    async () => {
      const { code, stderr } = await saga(['history', crypto.randomUUID()], {
        stateMachine: false,
      });

      expect(code).toBe(1);
      expect(stderr).toContain('pass --state-machine <arn>');
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'refuses an unknown command, saying which exist',
    async () => {
      const { code, stderr } = await saga(['undo', crypto.randomUUID()]);

      expect(code).toBe(1);
      expect(stderr).toContain('expected one of history, replay, start-again and a purchase id');
    },
    RUN_TIMEOUT_MS,
  );

  it('refuses what is not a state machine ARN', () => {
    expect(() => parseStateMachineArn('PurchaseSaga')).toThrow(/not a state machine's ARN/);
    expect(
      executionArnOf('arn:aws:states:eu-west-1:123456789012:stateMachine:PurchaseSaga-a1', 'p-1'),
    ).toBe('arn:aws:states:eu-west-1:123456789012:execution:PurchaseSaga-a1:p-1');
  });

  it('finds the purchase saga on AWS by its name, across ListStateMachines pages, or asks for it', async () => {
    // ListStateMachines is not served locally: a stand-in answers it in AWS JSON 1.0, as AWS does.
    const arnOf = (name: string) => `arn:aws:states:eu-west-1:123456789012:stateMachine:${name}`;
    let pages: { name: string }[][] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const { nextToken } = JSON.parse(body) as { nextToken?: string };
        const index = Number(nextToken ?? 0);
        const page = pages[index] ?? [];
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(
          JSON.stringify({
            stateMachines: page.map(({ name }) => ({
              name,
              stateMachineArn: arnOf(name),
              type: 'STANDARD',
              creationDate: 0,
            })),
            ...(index + 1 < pages.length ? { nextToken: String(index + 1) } : {}),
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sfn = new SFNClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      pages = [[{ name: 'OrdersFlow-a1' }], [{ name: 'PurchaseSaga-Xy12' }]];
      expect(await findPurchaseSaga(sfn)).toBe(arnOf('PurchaseSaga-Xy12'));

      pages = [[{ name: 'PurchaseSaga-Xy12' }, { name: 'PurchaseSaga-Zz34' }]];
      await expect(findPurchaseSaga(sfn)).rejects.toThrow(/2 state machine\(s\).*--state-machine/);

      pages = [[{ name: 'OrdersFlow-a1' }]];
      await expect(findPurchaseSaga(sfn)).rejects.toThrow(/no state machine\(s\).*--state-machine/);
    } finally {
      sfn.destroy();
      server.close();
    }
  });
});
