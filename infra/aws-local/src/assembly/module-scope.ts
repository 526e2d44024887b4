/*
 * On Lambda a function's code is /var/task, with nothing above it: Node.js decides whether its
 * .js files are CommonJS or ES modules from a package.json inside the asset, or from the syntax
 * when there is none. Locally the cloud assembly sits inside the repository, whose package.json
 * says "type": "module" — Node.js would then load a bundled CommonJS index.js as an ES module and
 * fail. A package.json without "type" at the assembly's root stops that walk upwards, so every
 * asset is read as Lambda reads it (an asset's own package.json, if any, still wins).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BOUNDARY = {
  description:
    'Written by @course/aws-local: ends the module scope here, so that each asset is loaded as Lambda loads /var/task.',
};

export function isolateModuleScope(assemblyDir: string): void {
  const file = join(assemblyDir, 'package.json');
  if (!existsSync(file)) writeFileSync(file, `${JSON.stringify(BOUNDARY, null, 2)}\n`);
}
