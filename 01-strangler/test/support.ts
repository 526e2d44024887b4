import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { withCanaryShare } from '@course/facade';
import { createApp as createMonolithApp } from '@course/monolith/app';
import { loadConfig as loadMonolithConfig } from '@course/monolith/config';
import { createDb as createMonolithDb } from '@course/monolith/db';
import { createLogger, listen, type RunningServer } from '@course/service-kit';
import { afterAll, beforeAll } from 'vitest';
import routes from '../routes.ts';
import { createStranglerFacade } from '../src/facade/app.ts';
import { loadConfig as loadFacadeConfig } from '../src/facade/config.ts';
import { createSlotsApp } from '../src/slots/app.ts';
import { loadConfig as loadSlotsConfig } from '../src/slots/config.ts';
import { createDb as createSlotsDb } from '../src/slots/db.ts';
import { handoff } from '../src/wallets/handoff.ts';
import { type StranglerDatabases, startDatabases } from './databases.ts';

export const stageDir = fileURLToPath(new URL('..', import.meta.url));
const log = createLogger({ service: 'test', level: 'silent' });
const quiet = { LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', STAGE: '01' };

export interface RunningStrangler {
  /** The facade: what the browser and the conformance suite talk to. */
  url: string;
  monolithUrl: string;
  slotsUrl: string;
  databases: StranglerDatabases;
  /**
   * Moves the canary as the lab does: stop the facade (the write freeze), hand the wallets
   * over, start a facade at the new share. `url` changes.
   */
  moveShare(share: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Stage 01 in this process, at the given slots share: the monolith, the slots service and the
 * facade on port 0, over two fresh databases, with the wallets handed over first.
 */
export async function startStrangler(share: number): Promise<RunningStrangler> {
  const databases = await startDatabases();
  await handoff(databases.dbs, share, log);
  const stack: Array<() => Promise<void>> = [() => databases.stop()];
  try {
    const monolith = await startMonolith(databases.urls.monolith);
    stack.push(monolith.close);
    const slotsDb = createSlotsDb(databases.urls.slots);
    stack.push(() => slotsDb.$disconnect());
    const slots = await listen(
      createSlotsApp({ config: slotsConfig(databases.urls.slots, monolith.url), db: slotsDb, log }),
      { port: 0, host: '127.0.0.1', log },
    );
    stack.push(slots.close);
    const targets = { monolith: monolith.url, slots: slots.url };
    let facade = await startFacade(share, targets);
    stack.push(() => facade.close());
    const running: RunningStrangler = {
      url: facade.url,
      monolithUrl: monolith.url,
      slotsUrl: slots.url,
      databases,
      async moveShare(next) {
        await facade.close();
        await handoff(databases.dbs, next, log);
        facade = await startFacade(next, targets);
        running.url = facade.url;
      },
      close: () => unwind(stack),
    };
    return running;
  } catch (err) {
    await unwind(stack);
    throw err;
  }
}

async function unwind(stack: Array<() => Promise<void>>): Promise<void> {
  for (const step of stack.splice(0).reverse()) await step();
}

export async function startMonolith(databaseUrl: string): Promise<RunningServer> {
  const config = loadMonolithConfig({ DATABASE_URL: databaseUrl, ...quiet });
  const db = createMonolithDb(config.DATABASE_URL);
  const server = await listen(await createMonolithApp({ config, db, log }), {
    port: 0,
    host: '127.0.0.1',
    log,
  });
  return {
    ...server,
    async close() {
      await server.close();
      await db.$disconnect();
    },
  };
}

function slotsConfig(databaseUrl: string, monolithUrl: string) {
  return loadSlotsConfig({ ...slotsEnvironment(databaseUrl, monolithUrl), ...quiet });
}

function slotsEnvironment(databaseUrl: string, monolithUrl: string): Record<string, string> {
  return { DATABASE_URL: databaseUrl, JWKS_URL: `${monolithUrl}/.well-known/jwks.json` };
}

export async function startFacade(
  share: number,
  targets: { monolith: string; slots: string },
): Promise<RunningServer> {
  const config = loadFacadeConfig({
    MONOLITH_URL: targets.monolith,
    SLOTS_URL: targets.slots,
    ...quiet,
  });
  const facade = createStranglerFacade({
    config,
    log,
    table: withCanaryShare(routes, 'slots', share),
  });
  const server = await listen(facade.app, { port: 0, host: '127.0.0.1', log });
  return {
    ...server,
    async close() {
      await server.close();
      facade.close();
    },
  };
}

/**
 * The slots service as a real process on a fixed port, so a test can SIGKILL it (no graceful
 * anything) and start it again where the facade expects it.
 */
export async function startSlotsProcess(opts: {
  port: number;
  databaseUrl: string;
  monolithUrl: string;
}): Promise<ChildProcess> {
  const child = spawn('node', ['--import', 'tsx', 'src/slots/server.ts'], {
    cwd: stageDir,
    env: {
      ...process.env,
      ...slotsEnvironment(opts.databaseUrl, opts.monolithUrl),
      ...quiet,
      PORT: String(opts.port),
      HOST: '127.0.0.1',
    },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slots exited with ${child.exitCode}`);
    const ready = await fetch(`http://127.0.0.1:${opts.port}/readyz`).catch(() => null);
    if (ready?.ok) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('slots did not become ready in 30 s');
}

export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** The stage at one share for the tests of one file. Read `url` etc. inside tests. */
export function stranglerForThisFile(share: number): RunningStrangler {
  let running: RunningStrangler | undefined;
  beforeAll(async () => {
    running = await startStrangler(share);
  }, 60_000);
  afterAll(() => running?.close());
  const current = (): RunningStrangler => {
    if (!running) throw new Error('the stage starts in beforeAll: use it inside a test');
    return running;
  };
  return {
    get url() {
      return current().url;
    },
    get monolithUrl() {
      return current().monolithUrl;
    },
    get slotsUrl() {
      return current().slotsUrl;
    },
    get databases() {
      return current().databases;
    },
    moveShare: (share) => current().moveShare(share),
    close: () => current().close(),
  };
}
