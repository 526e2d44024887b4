import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatTable,
  freePort,
  type LoadOptions,
  type Measurement,
  measure,
  quietAndUnthrottled,
  signUpPlayer,
  startStage,
} from '@course/local';
import stage from './stage.ts';

/**
 * Stage 00's benchmark: the framework floor (GET /healthz, no database) against a read
 * (GET /api/threads) and a write in a transaction (POST /api/slots/spins), side by side in
 * one run. The ratios to the floor show what the database and the work cost.
 */
export default async function bench(load: LoadOptions): Promise<Measurement[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-00-'));
  const running = await startStage(quietAndUnthrottled(stage), {
    publicPort: await freePort(),
    dataDir,
    log: () => {},
  });
  try {
    const players = await Promise.all(
      Array.from({ length: 20 }, (_, i) => signUpPlayer(running.url, `bench_${i}`)),
    );
    const spin = JSON.stringify({ bet: 1 });
    const results: Measurement[] = [];
    for (const scenario of [
      { name: 'GET /healthz', url: `${running.url}/healthz` },
      { name: 'GET /api/threads', url: `${running.url}/api/threads` },
      {
        name: 'POST /api/slots/spins',
        url: `${running.url}/api/slots/spins`,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json' },
        // Twenty players in turn: one wallet's row lock would measure queueing, not the app.
        requests: players.map((token) => ({
          headers: { authorization: `Bearer ${token}` },
          body: spin,
        })),
      },
    ]) {
      results.push(await measure(scenario, load));
    }
    const floor = results[0] as Measurement;
    process.stdout.write(
      `\nStage 00, ${load.connections} connections, ${load.durationSeconds} s each\n`,
    );
    process.stdout.write(`${formatTable(results, floor)}\n`);
    return results;
  } finally {
    await running.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
