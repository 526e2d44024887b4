/*
 * Synthesizes the fixture CDK app once per test run (not once per test file): bundling four
 * functions takes seconds. A synthesis newer than every file of the app is reused.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeApp } from '../src/assembly/index.ts';
import { FIXTURE_APP_DIR, FIXTURE_APP_ENTRY, FIXTURE_ASSEMBLY_DIR } from './fixture-app.ts';

const MARK_HELPER = join(
  import.meta.dirname,
  '..',
  '..',
  'constructs',
  'src',
  'application-function.ts',
);

export default async function setup(): Promise<void> {
  if (isUpToDate()) return;
  await synthesizeApp({ entry: FIXTURE_APP_ENTRY, outdir: FIXTURE_ASSEMBLY_DIR });
}

function isUpToDate(): boolean {
  const manifest = join(FIXTURE_ASSEMBLY_DIR, 'manifest.json');
  if (!existsSync(manifest)) return false;
  const synthesized = statSync(manifest).mtimeMs;
  return [...sourceFiles(FIXTURE_APP_DIR), MARK_HELPER].every(
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
