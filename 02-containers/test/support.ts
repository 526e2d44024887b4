import { startTestDatabase, type TestDatabase } from '@course/local';
import { createLogger, listen, type RunningServer } from '@course/service-kit';
import { createDb as createSlotsDb } from '@course/strangler/slots';
import { afterAll, beforeAll } from 'vitest';
import { createForumApp, type ForumAppDeps } from '../src/forum/app.ts';
import { loadConfig as loadForumConfig } from '../src/forum/config.ts';
import { createForumDb } from '../src/forum/db.ts';
import { createGateway } from '../src/gateway/app.ts';
import { loadConfig as loadGatewayConfig } from '../src/gateway/config.ts';
import { createSlotsApp } from '../src/slots/app.ts';
import { loadConfig as loadSlotsConfig } from '../src/slots/config.ts';
import { createUsersApp } from '../src/users/app.ts';
import { loadConfig as loadUsersConfig } from '../src/users/config.ts';
import { createUsersDb } from '../src/users/db.ts';
import stage from '../stage.ts';

export const log = createLogger({ service: 'test', level: 'silent' });
export const quiet = { LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', STAGE: '02' };
const onLoopback = { port: 0, host: '127.0.0.1', log };

type Service = 'users' | 'forum' | 'slots';

/** A fresh, migrated database per service, from the stage's own definitions. */
export async function startServiceDatabase(name: Service): Promise<TestDatabase> {
  const definition = stage.databases.find((database) => database.name === name);
  if (!definition) throw new Error(`stage 02 has no database named ${name}`);
  return startTestDatabase({ ...definition, name: `${name}_test` });
}

/** Runs `close` steps in reverse order of their registration, like a stack of `finally`s. */
export class Teardown {
  readonly #steps: Array<() => Promise<void> | void> = [];
  add(step: () => Promise<void> | void): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await step();
  }
}

export async function startUsers(teardown: Teardown): Promise<RunningServer> {
  const database = await startServiceDatabase('users');
  teardown.add(database.stop);
  const config = loadUsersConfig({ DATABASE_URL: database.url, ...quiet });
  const db = createUsersDb(config.DATABASE_URL);
  teardown.add(() => db.$disconnect());
  const server = await listen(await createUsersApp({ config, db, log }), onLoopback);
  teardown.add(server.close);
  return server;
}

const jwks = (usersUrl: string) => `${usersUrl}/.well-known/jwks.json`;

export async function startSlots(teardown: Teardown, usersUrl: string): Promise<RunningServer> {
  const database = await startServiceDatabase('slots');
  teardown.add(database.stop);
  const config = loadSlotsConfig({
    DATABASE_URL: database.url,
    JWKS_URL: jwks(usersUrl),
    ...quiet,
  });
  const db = createSlotsDb(config.DATABASE_URL);
  teardown.add(() => db.$disconnect());
  const server = await listen(createSlotsApp({ config, db, log }), onLoopback);
  teardown.add(server.close);
  return server;
}

export async function startForum(
  teardown: Teardown,
  {
    usersUrl,
    slotsUrl,
    env = {},
    authorRanks,
  }: {
    usersUrl: string;
    slotsUrl: string;
    env?: Record<string, string>;
    authorRanks?: ForumAppDeps['authorRanks'];
  },
): Promise<RunningServer> {
  const database = await startServiceDatabase('forum');
  teardown.add(database.stop);
  const config = loadForumConfig({
    DATABASE_URL: database.url,
    JWKS_URL: jwks(usersUrl),
    SLOTS_URL: slotsUrl,
    ...quiet,
    ...env,
  });
  const db = createForumDb(config.DATABASE_URL);
  teardown.add(() => db.$disconnect());
  const server = await listen(createForumApp({ config, db, log, authorRanks }), onLoopback);
  teardown.add(server.close);
  return server;
}

export async function startGateway(
  teardown: Teardown,
  targets: { users: string; forum: string; slots: string },
): Promise<RunningServer> {
  const config = loadGatewayConfig({
    USERS_URL: targets.users,
    FORUM_URL: targets.forum,
    SLOTS_URL: targets.slots,
    ...quiet,
  });
  const gateway = createGateway({ config, log });
  const server = await listen(gateway.app, onLoopback);
  teardown.add(() => gateway.close());
  teardown.add(server.close);
  return server;
}

export interface RunningStage {
  /** The gateway: what the browser and the conformance suite talk to. */
  url: string;
  services: Record<Service, RunningServer>;
  /** Stops the slots service (its listener and its connections), as a crash would. */
  stopSlots(): Promise<void>;
  close(): Promise<void>;
}

/** Stage 02 in this process: three services over three fresh databases, behind the gateway. */
export async function startStage(): Promise<RunningStage> {
  const teardown = new Teardown();
  try {
    const users = await startUsers(teardown);
    const slots = await startSlots(teardown, users.url);
    const forum = await startForum(teardown, { usersUrl: users.url, slotsUrl: slots.url });
    const gateway = await startGateway(teardown, {
      users: users.url,
      forum: forum.url,
      slots: slots.url,
    });
    return {
      url: gateway.url,
      services: { users, forum, slots },
      stopSlots: () => slots.close(),
      close: () => teardown.run(),
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

/** Stage 02 for the tests of one file: started before them, stopped after them. */
export function stageForThisFile(): RunningStage {
  let running: RunningStage | undefined;
  beforeAll(async () => {
    running = await startStage();
  }, 120_000);
  afterAll(() => running?.close());
  const current = (): RunningStage => {
    if (!running) throw new Error('the stage starts in beforeAll: use it inside a test');
    return running;
  };
  return {
    get url() {
      return current().url;
    },
    get services() {
      return current().services;
    },
    stopSlots: () => current().stopSlots(),
    close: () => current().close(),
  };
}
