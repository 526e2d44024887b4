/*
 * `pnpm --filter @course/containers bundle`: every process's bundle, each the build context of
 * its image, into bundles/<name>/ (see bundles.ts), for `docker compose … up --build` or
 * `docker build bundles/<name>`. `cdk deploy` does not need this: it builds its own at synth.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUNDLED_PROCESSES, buildBundle } from './bundles.ts';

const bundlesDir = fileURLToPath(new URL('../bundles/', import.meta.url));

for (const name of BUNDLED_PROCESSES) {
  const dir = `${bundlesDir}${name}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  buildBundle(dir, name);
  process.stdout.write(`bundles/${name}\n`);
}
