/*
 * Where the fixture CDK apps (test/fixtures/app, test/fixtures/saga-app) are synthesized for the tests: once per test run,
 * by test/global-setup.ts, into a folder git ignores.
 */
import { join } from 'node:path';

export const FIXTURE_APP_DIR = join(import.meta.dirname, 'fixtures', 'app');
export const FIXTURE_APP_ENTRY = join(FIXTURE_APP_DIR, 'app.ts');
export const FIXTURE_ASSEMBLY_DIR = join(FIXTURE_APP_DIR, 'cdk.out');

export const SAGA_APP_DIR = join(import.meta.dirname, 'fixtures', 'saga-app');
export const SAGA_APP_ENTRY = join(SAGA_APP_DIR, 'app.ts');
export const SAGA_ASSEMBLY_DIR = join(SAGA_APP_DIR, 'cdk.out');
