import { setTimeout as sleep } from 'node:timers/promises';
import { type InvocationResult, type Invoker, startLambdaApi } from '@course/aws-local/lambda';
import { createForumApp, createForumDb, type ForumDatabase } from '@course/containers/forum';
import stage02 from '@course/containers/stage';
import { threadBy } from '@course/containers/test/threads';
import { createHarness, type Harness } from '@course/contract';
import { freePort, startTestDatabase, type TestDatabase } from '@course/local';
import { createLogger, listen, type RunningServer } from '@course/service-kit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/forum/config.ts';
import { ranksFunctionBadges } from '../src/forum/ranks-client.ts';
import { stageForThisFile } from './support.ts';

/*
 * The forum's badges come from the ranks function through the Lambda Invoke API. With the function
 * answering, a thread page shows them (stage 03 as it runs, through the gateway). With the
 * function throttled, failing, hung or unreachable, the page still comes, complete and on time,
 * without badges — under stage 02's policy only: no retries of the SDK's own on top of it.
 *
 * The failures come from aws-local's Invoke API (the same HTTP answers the local runtime gives:
 * 429 TooManyRequestsException, 200 with X-Amz-Function-Error) in front of a scripted function,
 * which also counts the invocations that reached it.
 */

const stage = stageForThisFile();
const log = createLogger({ service: 'test', level: 'silent' });

let forumDatabase: TestDatabase;
let forumDb: ForumDatabase;
const closeAfter: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const forum = stage02.databases.find((candidate) => candidate.name === 'forum');
  if (!forum) throw new Error('stage 02 has no forum database');
  forumDatabase = await startTestDatabase({ ...forum, name: 'forum_badges_test' });
  forumDb = createForumDb(forumDatabase.url, 5);
}, 120_000);
afterAll(async () => {
  for (const close of closeAfter.reverse()) await close();
  await forumDb?.$disconnect();
  await forumDatabase?.stop();
});

const users = (): Harness => createHarness(() => stage.processUrls.users ?? '');

describe('with the ranks function answering', () => {
  it('shows each author their place on the leaderboard, through the Invoke API', async () => {
    const h = createHarness(() => stage.url);
    const gambler = await users().newPlayer();
    const reader = await users().newPlayer();
    h.expectStatus(await h.send('getWallet', { token: gambler.token }), 200);
    const threadId = await threadBy(h, gambler, reader);
    const board = h.expectStatus(await h.send('getLeaderboard'), 200);
    const place = board.items.find((entry) => entry.userId === gambler.id)?.rank;

    // The first pages may come without badges: a cold start of the ranks function (its init
    // alone takes longer than the forum's 300 ms deadline) is a slow dependency like any other.
    // The invocation that timed out still warms an environment, and a later page has them.
    const badges = await vi.waitFor(
      async () => {
        const thread = h.expectStatus(await h.send('getThread', { params: { id: threadId } }), 200);
        const ranked = thread.posts.map((post) => [post.author.username, post.authorRank]);
        expect(ranked[0]?.[1]).toBeDefined();
        return ranked;
      },
      { timeout: 15_000, interval: 500 },
    );

    expect(place).toBeDefined();
    expect(badges).toEqual([
      [gambler.username, place],
      [reader.username, undefined],
    ]);
    expect(
      stage.log.some((line) => line.includes('[CourseServerless-SlotsRanksFunction] START')),
    ).toBe(true);
  });
});

/** A function behind aws-local's Invoke API that answers as told and counts its invocations. */
async function scriptedFunction(answer: () => Promise<InvocationResult>) {
  let invocations = 0;
  const invoker: Invoker = {
    has: (name) => name === 'Ranks',
    invoke: async () => {
      invocations += 1;
      return answer();
    },
    discardEnvironments: async () => {},
  };
  const api = await startLambdaApi(invoker, { port: 0 });
  closeAfter.push(api.stop);
  return { url: api.url, invocations: () => invocations };
}

/** Stage 03's forum app, in this process, invoking the function `Ranks` at `endpoint`. */
async function forumInvoking(endpoint: string, timeoutMs = 200): Promise<Harness> {
  const config = loadConfig({
    DATABASE_URL: forumDatabase.url,
    JWKS_URL: `${stage.processUrls.users}/.well-known/jwks.json`,
    RANKS_FUNCTION_NAME: 'Ranks',
    RANKS_TIMEOUT_MS: String(timeoutMs),
    STAGE: '03',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '0',
  });
  const authorRanks = ranksFunctionBadges({
    functionName: config.RANKS_FUNCTION_NAME,
    timeoutMs: config.RANKS_TIMEOUT_MS,
    log,
    clientConfig: {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    },
  });
  const server: RunningServer = await listen(
    createForumApp({ config, db: forumDb, log, authorRanks }),
    { port: 0, host: '127.0.0.1', log },
  );
  closeAfter.push(server.close);
  return createHarness(() => server.url);
}

/** Opens the thread page and times it. */
async function page(h: Harness, threadId: string) {
  const started = performance.now();
  const thread = h.expectStatus(await h.send('getThread', { params: { id: threadId } }), 200);
  return { thread, ms: performance.now() - started };
}

async function threadOn(h: Harness): Promise<string> {
  return threadBy(h, await users().newPlayer(), await users().newPlayer());
}

const noBadges = (thread: { posts: { authorRank?: number }[] }) =>
  thread.posts.length === 2 && thread.posts.every((post) => post.authorRank === undefined);

describe('with the ranks function failing', () => {
  it('throttled (TooManyRequestsException): no badges, fast, one retry and no retries of the SDK', async () => {
    const fn = await scriptedFunction(async () => ({ outcome: 'throttled', logTail: '' }));
    // A deadline long enough for the SDK's own retries of a throttled call, were they left on.
    const h = await forumInvoking(fn.url, 3_000);
    const threadId = await threadOn(h);

    const { thread, ms } = await page(h, threadId);

    expect(noBadges(thread)).toBe(true);
    expect(ms).toBeLessThan(1_000);
    // Stage 02's policy: one attempt and one retry. The SDK alone would have made three each.
    expect(fn.invocations()).toBe(2);
  });

  it('erring (a FunctionError, here a timeout of the function): no badges, not retried', async () => {
    const fn = await scriptedFunction(async () => ({
      outcome: 'error',
      kind: 'timeout',
      error: {
        errorType: 'Sandbox.Timedout',
        errorMessage: 'Task timed out after 10.00 seconds',
        trace: [],
      },
      logTail: '',
    }));
    const h = await forumInvoking(fn.url);
    const threadId = await threadOn(h);

    const { thread, ms } = await page(h, threadId);

    expect(noBadges(thread)).toBe(true);
    expect(ms).toBeLessThan(1_000);
    expect(fn.invocations()).toBe(1);
  });

  it('hung: gives up at the deadline without a retry, then stops invoking once the circuit opens', async () => {
    const timeoutMs = 150;
    const fn = await scriptedFunction(async () => {
      await sleep(5_000);
      return { outcome: 'success', payload: '{"ranks":[]}', logTail: '' };
    });
    const h = await forumInvoking(fn.url, timeoutMs);
    const threadId = await threadOn(h);

    const first = await page(h, threadId);
    // A timed-out Invoke still runs: a retry would only start a second environment.
    const invocationsOfFirst = fn.invocations();
    await page(h, threadId);
    await page(h, threadId); // three lookups have failed by now: the circuit is open
    const invocationsBefore = fn.invocations();
    const afterOpen = await page(h, threadId);

    expect(noBadges(first.thread)).toBe(true);
    expect(first.ms).toBeGreaterThanOrEqual(timeoutMs);
    expect(first.ms).toBeLessThan(2 * timeoutMs + 500);
    expect(invocationsOfFirst).toBe(1);
    expect(noBadges(afterOpen.thread)).toBe(true);
    expect(fn.invocations()).toBe(invocationsBefore);
    expect(afterOpen.ms).toBeLessThan(timeoutMs);
  });

  it('unreachable (nothing listens at the endpoint): no badges, fast, and the forum stays ready', async () => {
    const h = await forumInvoking(`http://127.0.0.1:${await freePort()}`);
    const threadId = await threadOn(h);

    const { thread, ms } = await page(h, threadId);

    expect(noBadges(thread)).toBe(true);
    expect(ms).toBeLessThan(1_000);
    h.expectStatus(await h.send('getReadiness'), 200);
  });
});
