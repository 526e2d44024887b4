// Run by `pnpm contract --base-url <url>` (src/cli.ts) only: its name does not end in
// .test.ts, so the workspace's own `vitest run` never picks it up and never needs a server.
import { defineConformanceSuite, defineFuzzSuite } from '../src/index.ts';
import { readRemoteTarget } from '../src/remote-target.ts';

const target = readRemoteTarget(process.env);

defineConformanceSuite({ baseUrl: () => target.baseUrl, stage: target.stage });
if (target.fuzz) {
  defineFuzzSuite({ baseUrl: () => target.baseUrl, runs: target.runs, stage: target.stage });
}
