import { fileURLToPath } from 'node:url';
import { environmentFileFrom } from './environment.ts';

// Entry point bundled as write-environment.mjs: `node write-environment.mjs <secrets dir>`.
// The boot script downloads Amazon's RDS certificate bundle next to it, as rds-ca.pem.
const caBundlePath = fileURLToPath(new URL('rds-ca.pem', import.meta.url));
const [secretsDir] = process.argv.slice(2);
if (secretsDir === undefined) {
  process.stderr.write('usage: write-environment.mjs <secrets dir>\n');
  process.exitCode = 2;
} else {
  process.stdout.write(environmentFileFrom(secretsDir, caBundlePath));
}
