/*
 * Synthesizes a stage's CDK app on this machine, as the cdk CLI does: it runs the app's entry with
 * CDK_OUTDIR set (the App then writes its cloud assembly there on exit) and the context the CLI
 * would pass — cdk.json's, plus the path and asset metadata the runtime reads. No AWS account is
 * involved (CDK_DEFAULT_ACCOUNT/REGION are left unset, so the stack is environment-agnostic), and
 * no Docker: CDK_DOCKER names a command that does not exist, so an app that would bundle in a
 * container fails the synth instead of silently needing Docker.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { LocalAwsError } from '../model.ts';

export interface SynthesizeOptions {
  /** The app's entry, e.g. <stage>/cdk/app.ts. */
  entry: string;
  /** Where cdk.json is; by default the nearest folder above the entry that has one. */
  cwd?: string;
  /** Where the cloud assembly is written (emptied first). */
  outdir: string;
  /** Receives the synth's output lines (esbuild's bundling report, warnings). */
  log?: (line: string) => void;
}

/** The Docker command CDK runs when it needs a container; this one cannot exist. */
export const NO_DOCKER = '/nonexistent/docker-is-not-used-by-aws-local';

export async function synthesizeApp(options: SynthesizeOptions): Promise<string> {
  const entry = resolve(options.entry);
  if (!existsSync(entry)) throw new LocalAwsError(`the CDK app ${entry} does not exist`);
  const cwd = options.cwd ?? findCdkJsonFolder(dirname(entry)) ?? dirname(entry);
  const outdir = resolve(options.outdir);
  rmSync(outdir, { recursive: true, force: true });
  const context = {
    ...readCdkJsonContext(cwd),
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify(context),
    CDK_DOCKER: NO_DOCKER,
  };
  delete env.CDK_DEFAULT_ACCOUNT;
  delete env.CDK_DEFAULT_REGION;
  // tsx runs the TypeScript entry, as `node --import tsx cdk/app.ts` in a stage's cdk.json.
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const output: string[] = [];
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn(process.execPath, ['--import', tsx, entry], { cwd, env });
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        output.push(line);
        options.log?.(line);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', fail);
    child.once('close', done);
  });
  if (code !== 0 || !existsSync(join(outdir, 'manifest.json'))) {
    throw new LocalAwsError(
      `synthesizing ${entry} failed (exit ${code}):\n${output.slice(-30).join('\n')}`,
    );
  }
  return outdir;
}

function findCdkJsonFolder(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'cdk.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function readCdkJsonContext(cwd: string): Record<string, unknown> {
  const file = join(cwd, 'cdk.json');
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return parsed.context ?? {};
}
