/*
 * Where the fixture CDK app (test/fixtures/app) is synthesized for the tests: once per test run,
 * by test/global-setup.ts, into a folder git ignores.
 */
import { join } from 'node:path';

export const FIXTURE_APP_DIR = join(import.meta.dirname, 'fixtures', 'app');
export const FIXTURE_APP_ENTRY = join(FIXTURE_APP_DIR, 'app.ts');
export const FIXTURE_ASSEMBLY_DIR = join(FIXTURE_APP_DIR, 'cdk.out');
