/*
 * Synthesizes the fixture CDK apps once per test run (not once per test file): bundling their
 * functions takes seconds. A synthesis newer than every file of its app is reused.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeApp } from '../src/assembly/index.ts';
import {
  FIXTURE_APP_DIR,
  FIXTURE_APP_ENTRY,
  FIXTURE_ASSEMBLY_DIR,
  SAGA_APP_DIR,
  SAGA_APP_ENTRY,
  SAGA_ASSEMBLY_DIR,
} from './fixture-app.ts';

const MARK_HELPER = join(
  import.meta.dirname,
  '..',
  '..',
  'constructs',
  'src',
  'application-function.ts',
);

export default async function setup(): Promise<void> {
  const apps = [
    { dir: FIXTURE_APP_DIR, entry: FIXTURE_APP_ENTRY, outdir: FIXTURE_ASSEMBLY_DIR },
    { dir: SAGA_APP_DIR, entry: SAGA_APP_ENTRY, outdir: SAGA_ASSEMBLY_DIR },
  ];
  for (const { dir, entry, outdir } of apps) {
    if (!isUpToDate(dir, outdir)) await synthesizeApp({ entry, outdir });
  }
}

function isUpToDate(appDir: string, assemblyDir: string): boolean {
  const manifest = join(assemblyDir, 'manifest.json');
  if (!existsSync(manifest)) return false;
  const synthesized = statSync(manifest).mtimeMs;
  return [...sourceFiles(appDir), MARK_HELPER].every(
    (file) => statSync(file).mtimeMs < synthesized,
  );
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'cdk.out') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else yield path;
  }
}
