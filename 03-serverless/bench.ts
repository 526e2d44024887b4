import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import stage02 from '@course/containers/stage';
import {
  formatTable,
  freePort,
  type LoadOptions,
  type Measurement,
  measureInTurns,
  quietAndUnthrottled,
  type RunningStage,
  type Scenario,
  type StageDefinition,
  signUpPlayer,
  startStage,
  workspaceRoot,
} from '@course/local';
import { build } from 'esbuild';
import { LOGICAL_IDS } from './cdk/logical-ids.ts';
import { STAGE_THROTTLE } from './cdk/serverless-stack.ts';
import stage03 from './stage.ts';

/*
 * Stage 03's benchmark: what moving slots from a container (a process here) to Lambda functions
 * behind an HTTP API costs a request, and what a function's cold start and bundle look like.
 *
 * - Spins and wallet reads through each stage's gateway, stage 02 and stage 03 side by side in
 *   slices taken in turns (the same players' requests, the same machine's noise).
 * - Each function's cold start as the local runtime reports it (the REPORT line's Init Duration
 *   and Duration of an environment's first event). Local figures: a Node.js process on this
 *   machine, not a Lambda microVM, so compare them with each other, not with AWS's.
 * - Each function's bundle, zipped as `cdk deploy` uploads it, and what takes its bytes (esbuild's
 *   metafile of the same entry).
 */

const STAGES = ['02', '03'] as const;
type StageId = (typeof STAGES)[number];
const PLAYERS = 20;
/**
 * Both stages get the same steady rate, below the HTTP API stage's throttle: above it stage 03
 * answers 429 (the throttle is the deployed stage's backstop, served locally too), and the
 * figures would measure refusals. So this compares latency at one load, not peak throughput.
 */
const RATE_PER_SECOND = Math.floor(STAGE_THROTTLE.rateLimit * 0.8);

const FUNCTIONS = {
  write: LOGICAL_IDS.writeFunction,
  read: LOGICAL_IDS.readFunction,
  ranks: LOGICAL_IDS.ranksFunction,
} as const;

export default async function bench(load: LoadOptions): Promise<Measurement[]> {
  const dataDirs: string[] = [];
  const started: RunningStage[] = [];
  const lines03: string[] = [];
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
      return { running, dataDir };
    };
    const s02 = await start(stage02, () => {});
    const s03 = await start(stage03, (line) => lines03.push(line));
    const urls: Record<StageId, string> = { '02': s02.running.url, '03': s03.running.url };

    // A thread page first, so the ranks function starts cold too.
    await fetch(`${urls['03']}/api/threads`)
      .then((r) => r.json() as Promise<{ items: { id: string }[] }>)
      .then(({ items }) => fetch(`${urls['03']}/api/threads/${items[0]?.id}`))
      .then((r) => r.text());
    const tokens: Record<StageId, string[]> = { '02': [], '03': [] };
    for (const stage of STAGES) {
      for (let i = 0; i < PLAYERS; i += 1)
        tokens[stage].push(await signUpPlayer(urls[stage], `bench_${i}`));
    }
    const scenarios = {
      spins: (stage: StageId): Scenario => ({
        name: `${stage} POST /api/slots/spins`,
        url: `${urls[stage]}/api/slots/spins`,
        method: 'POST',
        overallRate: RATE_PER_SECOND,
        requests: tokens[stage].map((token) => ({
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ bet: 1 }),
        })),
      }),
      wallet: (stage: StageId): Scenario => ({
        name: `${stage} GET /api/slots/wallet`,
        url: `${urls[stage]}/api/slots/wallet`,
        overallRate: RATE_PER_SECOND,
        requests: tokens[stage].map((token) => ({ headers: { authorization: `Bearer ${token}` } })),
      }),
    };
    for (const make of Object.values(scenarios)) {
      for (const stage of STAGES) await expectServed(make(stage), stage);
    }

    const results: Measurement[] = [];
    print(
      `\nStage 02 (slots: a process) and stage 03 (slots: Lambda behind the HTTP API), ` +
        `${load.connections} connections, at most ${RATE_PER_SECOND} requests/s each (the HTTP ` +
        `API stage throttles at ${STAGE_THROTTLE.rateLimit}/s), ${PLAYERS} players. Stage 03's ` +
        `functions run at most ${stage03.localAws.localConcurrency} environments each here ` +
        '(the local cap; AWS would start more).',
    );
    for (const [name, make] of Object.entries(scenarios)) {
      const measured = await measureInTurns({ '02': make('02'), '03': make('03') }, load);
      print(`\n${formatTable([measured['02'], measured['03']], measured['02'])}`);
      print(
        `${name} at the same rate: stage 03 ${signed(measured['03'].p50Ms - measured['02'].p50Ms)} ` +
          `at p50, ${signed(measured['03'].p99Ms - measured['02'].p99Ms)} at p99.`,
      );
      results.push(measured['02'], measured['03']);
    }

    print(
      "\nCold starts (the local runtime's REPORT lines; every new environment during the run):",
    );
    for (const [role, logicalId] of Object.entries(FUNCTIONS)) {
      print(`  ${role.padEnd(6)} ${describeColdStarts(lines03, `CourseServerless-${logicalId}`)}`);
    }

    print('\nBundles (zipped as cdk deploy uploads them; the largest parts by esbuild metafile):');
    const assembly = join(s03.dataDir, 'cdk.out');
    for (const [role, logicalId] of Object.entries(FUNCTIONS)) {
      print(await describeBundle(role, assembly, logicalId));
    }
    return results;
  } finally {
    for (const running of started.reverse()) await running.stop();
    for (const dataDir of dataDirs) await rm(dataDir, { recursive: true, force: true });
  }
}

/** Every request once: a success, answered by the stage's slots (autocannon counts errors too). */
async function expectServed(scenario: Scenario, stage: StageId): Promise<void> {
  const expected = stage === '03' ? 'slots@03 (lambda)' : 'slots@02 (process)';
  for (const request of scenario.requests ?? [{}]) {
    const response = await fetch(scenario.url, {
      method: scenario.method ?? 'GET',
      headers: request.headers,
      body: request.body,
    });
    await response.body?.cancel();
    const servedBy = response.headers.get('x-served-by');
    if (!response.ok || servedBy !== expected) {
      throw new Error(`${scenario.name}: ${response.status} from "${servedBy}"`);
    }
  }
}

const REPORT = /REPORT RequestId: \S+\tDuration: ([\d.]+) ms.*Init Duration: ([\d.]+) ms/;

/** Init Duration and the first event's Duration of each environment the function started. */
function describeColdStarts(lines: string[], functionName: string): string {
  const starts = lines
    .filter((line) => line.startsWith(`[${functionName}] REPORT`))
    .flatMap((line) => {
      const match = REPORT.exec(line);
      return match ? [{ duration: Number(match[1]), init: Number(match[2]) }] : [];
    });
  if (starts.length === 0) return 'no cold start seen';
  const first = starts[0];
  const inits = starts.map((s) => s.init).sort((a, b) => a - b);
  const median = inits[Math.floor(inits.length / 2)] ?? Number.NaN;
  return (
    `first: init ${first?.init.toFixed(0)} ms + first event ${first?.duration.toFixed(0)} ms; ` +
    `${starts.length} environments, init median ${median.toFixed(0)} ms, max ${inits.at(-1)?.toFixed(0)} ms`
  );
}

interface TemplateResource {
  Type: string;
  Metadata?: Record<string, string>;
}

async function describeBundle(role: string, assembly: string, logicalId: string): Promise<string> {
  const template = JSON.parse(
    readFileSync(join(assembly, 'CourseServerless.template.json'), 'utf8'),
  ) as { Resources: Record<string, TemplateResource> };
  const assetPath = template.Resources[logicalId]?.Metadata?.['aws:asset:path'];
  if (!assetPath) throw new Error(`${logicalId} has no asset in ${assembly}`);
  const assetDir = join(assembly, assetPath);
  const zipFile = join(assembly, `${logicalId}.zip`);
  try {
    execFileSync('zip', ['-q', '-r', '-X', zipFile, '.'], { cwd: assetDir });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error(
      'the `zip` command is needed to size the bundles as cdk deploy uploads them ' +
        '(Debian/Ubuntu: apt-get install zip)',
    );
  }
  const zipped = statSync(zipFile).size;
  const code = statSync(join(assetDir, 'index.mjs')).size;
  const parts = await largestParts(
    join(import.meta.dirname, 'src', 'slots', 'functions', `${role}.ts`),
  );
  return (
    `  ${role.padEnd(6)} ${mb(zipped)} zipped (index.mjs ${mb(code)}); ` +
    parts.map(({ name, bytes }) => `${name} ${mb(bytes)}`).join(', ')
  );
}

/** The packages that take the most bytes of the minified bundle, from esbuild's metafile. */
async function largestParts(entry: string): Promise<{ name: string; bytes: number }[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    outfile: 'index.mjs',
    logLevel: 'silent',
    // The metafile's paths are relative to this folder, whatever the current directory.
    absWorkingDir: workspaceRoot,
  });
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 4);
}

/** `…/node_modules/@prisma/client/runtime/x.mjs` → `@prisma/client`; workspace files by folder. */
function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(input);
  if (match?.[1]) return match[1];
  return input.split('/').slice(0, 1).join('/');
}

function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms`;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
