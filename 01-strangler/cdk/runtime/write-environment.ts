import { printEnvironmentFile } from '@course/constructs/runtime';
import { slotsVariables } from './environment.ts';

// Entry point bundled as write-environment.mjs: `node write-environment.mjs <secrets dir>`.
// The boot script downloads Amazon's RDS certificate bundle next to it, as rds-ca.pem.
printEnvironmentFile(slotsVariables);
