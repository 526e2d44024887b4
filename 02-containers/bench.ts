import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  formatTable,
  freePort,
  type LoadOptions,
  type Measurement,
  measureInTurns,
  quietAndUnthrottled,
  type RunningStage,
  roundsFor,
  type Scenario,
  SLICE_SECONDS,
  type StageDefinition,
  signUpPlayer,
  startStage,
} from '@course/local';
import { demoThreads } from '@course/monolith/seed';
import stage00 from '@course/monolith/stage';
import stage02 from './stage.ts';

const STAGES = ['00', '02'] as const;
type StageId = (typeof STAGES)[number];

/** The signed-up players who spin in turn: one wallet's row lock would measure queueing. */
const PLAYERS = 20;

/**
 * What the forum logs when it sends a thread page without badges (src/forum/badges.ts): the
 * call to slots timed out or failed, or its circuit breaker was open. Counted, because such a
 * page waited out the call's deadline or skipped the call, and the figures then measure the
 * fallback rather than the call.
 */
const BADGE_FALLBACK_LOG = 'thread page sent without badges';

/** What one stage needs for the scenarios: its address, its players, a seeded thread. */
interface Target {
  stage: StageId;
  url: string;
  tokens: string[];
  threadId: string;
}

const SCENARIO_NAMES = ['list', 'thread', 'spins', 'mix'] as const;
type ScenarioName = (typeof SCENARIO_NAMES)[number];

interface ScenarioDefinition {
  title: string;
  /** The share of its requests that are thread pages, which make the badge call in stage 02. */
  threadPageShare: number;
  /** Its requests against one stage. */
  at(target: Target): Scenario;
}

/** A scenario's measurement on each stage, and stage 02's badge fallbacks by reason meanwhile. */
interface Result {
  measured: Record<StageId, Measurement>;
  badgeFallbacks: Map<string, number>;
}

const SCENARIOS: Record<ScenarioName, ScenarioDefinition> = {
  list: {
    title: 'GET /api/threads',
    threadPageShare: 0,
    at: ({ stage, url }) => ({ name: `${stage} GET /api/threads`, url: `${url}/api/threads` }),
  },
  thread: {
    title: 'GET /api/threads/{id}',
    threadPageShare: 1,
    at: ({ stage, url, threadId }) => ({
      name: `${stage} GET /api/threads/{id}`,
      url: `${url}/api/threads/${threadId}`,
    }),
  },
  spins: {
    title: 'POST /api/slots/spins',
    threadPageShare: 0,
    at: ({ stage, url, tokens }) => ({
      name: `${stage} POST /api/slots/spins`,
      url: `${url}/api/slots/spins`,
      method: 'POST',
      requests: tokens.map(spinBy),
    }),
  },
  // What a player does: look at the list, open a thread, spin; the players take turns.
  mix: {
    title: 'mix: list, thread, spin',
    threadPageShare: 1 / 3,
    at: ({ stage, url, tokens, threadId }) => ({
      name: `${stage} mix`,
      url,
      requests: tokens.flatMap((token) => [
        { method: 'GET' as const, path: '/api/threads' },
        { method: 'GET' as const, path: `/api/threads/${threadId}` },
        spinBy(token),
      ]),
    }),
  },
};

/**
 * Stage 02's benchmark: what splitting the monolith into services costs a request. Stage 00 and
 * stage 02 run side by side and get the same requests, in slices taken in turn. In stage 02
 * every request crosses the gateway to a separate service process, and a thread page also
 * waits for the forum's call to the slots service for its badges.
 */
export default async function bench(load: LoadOptions): Promise<Measurement[]> {
  const dataDirs: string[] = [];
  const started: RunningStage[] = [];
  // Stage 02's badge fallbacks by reason, from the forum's log, since the last clear().
  const badgeFallbacks = new Map<string, number>();
  try {
    const start = async (def: StageDefinition, log: (line: string) => void) => {
      const dataDir = await mkdtemp(join(tmpdir(), `bench-${def.id}-`));
      dataDirs.push(dataDir);
      const running = await startStage(quietAndUnthrottled(def), {
        publicPort: await freePort(),
        dataDir,
        log,
      });
      started.push(running);
      return running;
    };
    const running: Record<StageId, RunningStage> = {
      '00': await start(stage00, () => {}),
      '02': await start(stage02, (line) => {
        if (!line.includes(BADGE_FALLBACK_LOG)) return;
        const reason = /"reason":"([^"]+)"/.exec(line)?.[1] ?? 'unknown';
        badgeFallbacks.set(reason, (badgeFallbacks.get(reason) ?? 0) + 1);
      }),
    };
    const targets: Record<StageId, Target> = {
      '00': await prepare('00', running['00'].url),
      '02': await prepare('02', running['02'].url),
    };
    for (const name of SCENARIO_NAMES) {
      for (const stage of STAGES) await expectSuccess(SCENARIOS[name].at(targets[stage]), stage);
    }
    await expectBadges(targets);

    const results = new Map<ScenarioName, Result>();
    for (const name of SCENARIO_NAMES) {
      const { at } = SCENARIOS[name];
      badgeFallbacks.clear();
      const measured = await measureInTurns(
        { '00': at(targets['00']), '02': at(targets['02']) },
        load,
      );
      // Log lines come through a pipe, a moment after the responses they belong to.
      await sleep(500);
      results.set(name, { measured, badgeFallbacks: new Map(badgeFallbacks) });
    }

    const seconds = roundsFor(load) * SLICE_SECONDS;
    print(
      `\nStage 00 and stage 02, ${load.connections} connections, ${seconds} s per scenario per ` +
        `stage in turns of ${SLICE_SECONDS} s, ${PLAYERS} players`,
    );
    for (const [name, result] of results) report(SCENARIOS[name], result);
    explain(results);
    return [...results.values()].flatMap(({ measured }) => [measured['00'], measured['02']]);
  } finally {
    for (const running of started.reverse()) await running.stop();
    for (const dataDir of dataDirs) await rm(dataDir, { recursive: true, force: true });
  }
}

function spinBy(token: string) {
  return {
    method: 'POST' as const,
    path: '/api/slots/spins',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ bet: 1 }),
  };
}

/** The same players and the same seeded thread on a stage, so both get the same requests. */
async function prepare(stage: StageId, url: string): Promise<Target> {
  // One at a time: password hashing is slow on purpose, and twenty at once can outlast the
  // gateway's timeout on a busy machine.
  const tokens: string[] = [];
  for (let i = 0; i < PLAYERS; i += 1) tokens.push(await signUpPlayer(url, `bench_${i}`));
  const title = demoThreads[0]?.title;
  const list = await getJson<{ items: { id: string; title: string }[] }>(`${url}/api/threads`);
  const thread = list.items.find((item) => item.title === title);
  if (!thread) throw new Error(`stage ${stage} lists no seeded thread "${title}"`);
  return { stage, url, tokens, threadId: thread.id };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Every request of a scenario, sent once, must be a success answered by the stage under test:
 * autocannon counts error pages as throughput, and a fast 404 would flatter any stage.
 */
async function expectSuccess(scenario: Scenario, stage: StageId): Promise<void> {
  const requests = scenario.requests ?? [{}];
  for (const request of requests) {
    const url = request.path ? new URL(request.path, scenario.url).href : scenario.url;
    const method = request.method ?? scenario.method ?? 'GET';
    const response = await fetch(url, {
      method,
      headers: { ...scenario.headers, ...request.headers },
      body: request.body,
    });
    await response.body?.cancel();
    const servedBy = response.headers.get('x-served-by') ?? '';
    if (!response.ok || !servedBy.includes(`@${stage}`)) {
      throw new Error(
        `${scenario.name}: ${method} ${url} answered ${response.status} from "${servedBy}"`,
      );
    }
  }
}

/**
 * The thread page must show what it costs: badges in stage 02, where the forum asks slots for
 * them, and none in stage 00, which has no such call.
 */
async function expectBadges(targets: Record<StageId, Target>): Promise<void> {
  for (const stage of STAGES) {
    const { url, threadId } = targets[stage];
    const thread = await getJson<{ posts: { authorRank?: number }[] }>(
      `${url}/api/threads/${threadId}`,
    );
    const badges = thread.posts.filter((post) => post.authorRank !== undefined).length;
    if ((stage === '02') !== badges > 0) {
      throw new Error(`stage ${stage}'s thread page has ${badges} badges`);
    }
  }
}

function percentOf(a: Measurement, b: Measurement): number {
  return (a.requestsPerSecond / b.requestsPerSecond) * 100;
}

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms`;
}

/** One table per scenario, stage 00 as the baseline, then stage 02's ratios in words. */
function report(scenario: ScenarioDefinition, { measured, badgeFallbacks }: Result): void {
  const { '00': before, '02': after } = measured;
  print(`\n${formatTable([before, after], before)}`);
  print(
    wrap(
      `${scenario.title}: stage 02 serves ${percentOf(after, before).toFixed(1)} % of stage 00's ` +
        `throughput and adds ${signed(after.p50Ms - before.p50Ms)} to p50.`,
    ),
  );
  if (scenario.threadPageShare > 0) {
    print(wrap(describeFallbacks(scenario, measured, badgeFallbacks)));
  }
}

/** How many of stage 02's thread pages went out without badges while a scenario ran, and why. */
function describeFallbacks(
  scenario: ScenarioDefinition,
  measured: Record<StageId, Measurement>,
  badgeFallbacks: Map<string, number>,
): string {
  const threadPages = Math.round(measured['02'].requests * scenario.threadPageShare);
  const total = [...badgeFallbacks.values()].reduce((sum, n) => sum + n, 0);
  if (total === 0) {
    return `Every one of stage 02's ${threadPages} measured thread pages had badges.`;
  }
  const reasons = [...badgeFallbacks].map(([reason, n]) => `${reason} ${n}`).join(', ');
  return (
    `${total} of stage 02's thread pages went out without badges (${reasons}; warm-up slice ` +
    `included), against ${threadPages} measured.`
  );
}

/**
 * What the figures of this run say about where stage 02's time goes. The list and the thread
 * page take the same path through the gateway to the forum; the thread page alone also calls
 * slots, so the difference between their extra p50s is that call, as measured here.
 */
function explain(results: Map<ScenarioName, Result>): void {
  const figures = (name: ScenarioName) => {
    const result = results.get(name);
    if (!result) {
      return { extraP50: Number.NaN, percent: Number.NaN, fallbacks: 0, threadPages: 0 };
    }
    const { '00': before, '02': after } = result.measured;
    return {
      extraP50: after.p50Ms - before.p50Ms,
      percent: percentOf(after, before),
      fallbacks: [...result.badgeFallbacks.values()].reduce((sum, n) => sum + n, 0),
      threadPages: Math.round(after.requests * SCENARIOS[name].threadPageShare),
    };
  };
  const list = figures('list');
  const thread = figures('thread');
  const spins = figures('spins');
  const badgeCall =
    `The badge call: a thread page also waits for the forum's call to slots. Its extra p50 ` +
    `(${signed(thread.extraP50)}) less the list's comes to ` +
    `${signed(thread.extraP50 - list.extraP50)}, and the page runs at ` +
    `${thread.percent.toFixed(1)} % of stage 00's throughput.`;
  print('\nWhere stage 02 differs, in this run:');
  for (const point of [
    `The hop: every stage 02 request goes through the gateway, a Node proxy, to a separate ` +
      `service process. The list does nothing else, and it shows that cost: ` +
      `${signed(list.extraP50)} at p50 and ${list.percent.toFixed(1)} % of stage 00's ` +
      'throughput. (`pnpm bench 01` measures a proxy hop on its own.)',
    `Token checks call no one: forum and slots verify tokens with users' public key, fetched ` +
      `from /.well-known/jwks.json and cached. What a spin adds (${signed(spins.extraP50)} at p50, ` +
      `${spins.percent.toFixed(1)} % of the throughput) is the hop and the slots service's ` +
      `own work on its own database.`,
    thread.fallbacks === 0
      ? `${badgeCall} Every thread page had its badges, so that is the call's cost under load.`
      : `${badgeCall} But ${thread.fallbacks} thread pages went out without badges during ` +
        `its load (warm-up included; ${thread.threadPages} measured), so the figures mix ` +
        `pages that made the call with pages that waited out its deadline or skipped it while ` +
        `its breaker was open.`,
    `The machine: ${availableParallelism()} cores run the load generator and the embedded ` +
      `databases as well as the stage, so in stage 02 the gateway and the service it forwards ` +
      `to compete for them, where stage 00's one process does all the work.`,
  ]) {
    print(wrap(`- ${point}`, '  '));
  }
}

/** Word-wraps a paragraph at 100 columns, indenting the lines after the first. */
function wrap(text: string, indent = ''): string {
  const width = 100;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `${indent}${word}`;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line].join('\n');
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
