import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseTarget, matchRoute } from '@course/facade/route-table';
import {
  formatTable,
  freePort,
  type LoadOptions,
  type Measurement,
  measureInTurns,
  quietAndUnthrottled,
  type RunningNginx,
  type RunningStage,
  roundsFor,
  SLICE_SECONDS,
  startNginx,
  startStage,
} from '@course/local';
import routes from './routes.ts';
import stage from './stage.ts';

/**
 * Paths the facade only forwards. Not /healthz: the facade answers that one itself. One read
 * with a database query behind it, and one that is computed without touching the database,
 * where the proxy's share of the time is largest.
 */
const PATHS = ['/api/threads', '/api/slots/machine'];

const WAYS = ['direct', 'facade', 'nginx'] as const;
type Way = (typeof WAYS)[number];
/** The three measurements of one path. */
type Comparison = { path: string } & Record<Way, Measurement>;

/**
 * Stage 01's benchmark: what the facade's extra hop costs. Each path is measured three ways,
 * side by side in one run: straight to the process the route table sends it to, through the
 * facade, and through nginx set up as an equivalent reverse proxy. nginx shows what any proxy
 * hop costs; the rest of the facade's cost is Node, Express and http-proxy-middleware.
 */
export default async function bench(load: LoadOptions): Promise<Measurement[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-01-'));
  const running = await startStage(quietAndUnthrottled(stage), {
    publicPort: await freePort(),
    dataDir,
    log: () => {},
  });
  let nginx: RunningNginx | undefined;
  try {
    const origins = Object.fromEntries(PATHS.map((path) => [path, originOf(path, running)]));
    // nginx sends each measured path to the same process as the facade does.
    nginx = await startNginx({ upstreams: origins });
    const compared: Comparison[] = [];
    for (const path of PATHS) {
      const bases = { direct: originOf(path, running), facade: running.url, nginx: nginx.url };
      compared.push(await comparePath(path, bases, load));
    }
    print(
      `\nStage 01, ${load.connections} connections, ${roundsFor(load) * SLICE_SECONDS} s per ` +
        `scenario in turns of ${SLICE_SECONDS} s`,
    );
    for (const comparison of compared) report(comparison);
    return compared.flatMap(({ direct, facade, nginx }) => [direct, facade, nginx]);
  } finally {
    await nginx?.stop();
    await running.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The same GET against each base URL, in slices taken in turn so that every way meets the same
 * drift and noise (see `measureInTurns`).
 */
async function comparePath(
  path: string,
  bases: Record<Way, string>,
  load: LoadOptions,
): Promise<Comparison> {
  await expectOneServer(path, bases);
  const scenario = (way: Way) => ({ name: `${way} GET ${path}`, url: `${bases[way]}${path}` });
  const measured = await measureInTurns(
    { direct: scenario('direct'), facade: scenario('facade'), nginx: scenario('nginx') },
    load,
  );
  return { path, ...measured };
}

/** All three ways must reach the same process, or the comparison compares nothing. */
async function expectOneServer(path: string, bases: Record<Way, string>): Promise<void> {
  const answers = await Promise.all(
    WAYS.map(async (way) => {
      const response = await fetch(`${bases[way]}${path}`);
      await response.body?.cancel();
      return { way, answer: `${response.status} from ${response.headers.get('x-served-by')}` };
    }),
  );
  if (new Set(answers.map((a) => a.answer)).size !== 1) {
    const seen = answers.map((a) => `${a.way}: ${a.answer}`).join(', ');
    throw new Error(`GET ${path} does not reach one process three ways (${seen})`);
  }
}

/**
 * The address of the process that serves `path`: the route's target, or its canary's when the
 * canary takes every request. A split route has no single process to compare against.
 */
function originOf(path: string, running: RunningStage): string {
  const route = matchRoute(routes, path);
  if (route === undefined) throw new Error(`no route of routes.ts matches ${path}`);
  const share = route.canary?.share ?? 0;
  if (share !== 0 && share !== 100) {
    throw new Error(`route "${route.name}" splits its traffic (${share} %): set 0 or 100`);
  }
  const target = chooseTarget(route, undefined);
  const url = running.processUrls[target];
  if (url === undefined) throw new Error(`stage 01 runs no process named "${target}"`);
  return url;
}

/** One table per path, direct as the baseline, then the facade's ratios in words. */
function report({ path, direct, facade, nginx }: Comparison): void {
  const percent = (a: Measurement, b: Measurement) =>
    `${((a.requestsPerSecond / b.requestsPerSecond) * 100).toFixed(1)} %`;
  const extraP50 = facade.p50Ms - direct.p50Ms;
  print(`\n${formatTable([direct, facade, nginx], direct)}`);
  print(
    `GET ${path}: the facade serves ${percent(facade, direct)} of direct throughput ` +
      `(nginx ${percent(nginx, direct)}), adds ${extraP50 >= 0 ? '+' : ''}${extraP50.toFixed(1)} ms ` +
      `to p50, and serves ${percent(facade, nginx)} of nginx's throughput.`,
  );
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
