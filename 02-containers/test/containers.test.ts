import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  type RunningStage,
  type StageDefinition,
  startEmbeddedPostgres,
  startStage,
} from '@course/local';
import { DEMO_PASSWORD, demoSpins } from '@course/monolith/seed';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { validate as validateDockerfile } from 'dockerfile-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  BUNDLED_PROCESSES,
  type BundledProcess,
  buildBundle,
  bundleOf,
  DATABASE_SETUP_COMMAND,
} from '../cdk/bundles.ts';
import { containerEnvironment } from '../src/container-env.ts';
import { loadConfig as loadForumConfig } from '../src/forum/config.ts';
import { loadConfig as loadGatewayConfig } from '../src/gateway/config.ts';
import { SERVICES, type Service } from '../src/services.ts';
import { loadConfig as loadSlotsConfig } from '../src/slots/config.ts';
import { loadConfig as loadUsersConfig } from '../src/users/config.ts';
import stage from '../stage.ts';

/*
 * This machine (and CI) has no Docker engine, so nothing here builds an image or starts a
 * container. What can be checked without one is checked: the Dockerfile and the compose file
 * against their rules and against the code they start, and the bundles the images are built
 * from, run as plain processes with the image's command and environment.
 */

const stageDir = fileURLToPath(new URL('..', import.meta.url));
const dockerfileText = readFileSync(join(stageDir, 'Dockerfile'), 'utf8');
const dockerfile = parseDockerfile(dockerfileText);
const PROCESSES = stage.processes.map(({ name }) => name);

// ajv-formats is CommonJS; under `nodenext` its default export arrives as `.default`.
const addFormats = ajvFormats.default;

describe('the Dockerfile', () => {
  it('has nothing the Dockerfile validator reports, not even a warning', () => {
    const problems = validateDockerfile(dockerfileText).map(
      (problem) => `line ${problem.range.start.line + 1}: ${problem.message}`,
    );

    expect(problems).toEqual([]);
  });

  it('is one stage on one exact Node 24 release of the slim Debian image', () => {
    expect(dockerfile.stages.map((buildStage) => buildStage.base)).toEqual([
      expect.stringMatching(/^node:24\.\d+\.\d+-bookworm-slim$/),
    ]);
  });

  it('runs the image unprivileged, exposing its port, with a health check', () => {
    const user = lastOf('USER');
    const env = imageEnvironment();

    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    expect(instructionsOf('EXPOSE').flatMap((args) => args.split(/\s+/))).toContain(env.PORT);
    expect(healthCheckCommand()?.join(' ')).toContain('/healthz');
    expect(env).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', STAGE: '02' });
  });

  it('copies its build context, the bundle, and nothing else', () => {
    expect(instructionsOf('COPY')).toEqual(['. ./']);
  });

  it.each(stage.processes)(
    "starts $name's bundle compiled from the file the local runner starts",
    (runnerProcess) => {
      const [node, entry] = imageCommand();
      const name = bundledProcess(runnerProcess.name);
      const source = runnerProcess.command.find((arg) => arg.endsWith('.ts')) ?? '';

      expect(node).toBe('node');
      expect(entry).toMatch(/^[\w-]+\.mjs$/);
      // The bundle's entry points are named by their output file, without `.mjs`.
      expect(bundleOf(name).entryPoints[entry?.replace(/\.mjs$/, '') ?? '']).toBe(
        join(runnerProcess.cwd, source),
      );
    },
  );
});

describe('docker-compose.yml', () => {
  const composeText = readFileSync(join(stageDir, 'docker-compose.yml'), 'utf8');
  const composeDocument: unknown = parseYaml(composeText);
  const compose = composeSchema.parse(composeDocument);
  const service = (name: string) => {
    const found = compose.services[name];
    if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
    return found;
  };
  const environmentOf = (name: string) => service(name).environment ?? {};

  it('is valid against the Compose Specification', () => {
    const schema: unknown = JSON.parse(
      readFileSync(join(stageDir, 'test/fixtures/compose-spec.json'), 'utf8'),
    );
    // The specification's schema is written for lenient validators: it mixes types in one
    // keyword throughout, which Ajv's strict mode would reject.
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
    addFormats(ajv);
    // It names draft-07 by its https address; Ajv knows that meta-schema by its http one.
    const draft07 = z
      .record(z.string(), z.unknown())
      .parse(ajv.getSchema('http://json-schema.org/draft-07/schema')?.schema);
    ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
    const validate = ajv.compile(z.record(z.string(), z.unknown()).parse(schema));

    const valid = validate(composeDocument);

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("builds each process's image from its own bundle, where `pnpm bundle` writes it", () => {
    // Every process compose runs; the deploy-time database provisioning is AWS's alone.
    for (const name of BUNDLED_PROCESSES.filter((name) => name !== 'database-provisioning')) {
      expect(resolve(stageDir, service(name).build?.context ?? ''), name).toBe(
        join(stageDir, 'bundles', name),
      );
    }
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build === undefined) continue;
      expect(s.build, name).toEqual(service(name.replace(/-migrate$/, '')).build);
    }
  });

  it('gives an image name one build only, so that compose builds it once', () => {
    const buildsByImage = new Map<string, Set<string>>();
    for (const s of Object.values(compose.services)) {
      if (!s.build || !s.image) continue;
      const builds = buildsByImage.get(s.image) ?? new Set();
      builds.add(JSON.stringify(s.build));
      buildsByImage.set(s.image, builds);
    }

    expect(buildsByImage.size).toBeGreaterThan(0);
    for (const [image, builds] of buildsByImage) expect(builds.size, image).toBe(1);
  });

  it('gives every long-running service a health check; only one-shots go without', () => {
    const oneShots = new Set(
      Object.values(compose.services).flatMap((s) =>
        Object.entries(s.depends_on ?? {})
          .filter(([, dependency]) => dependency.condition === 'service_completed_successfully')
          .map(([name]) => name),
      ),
    );

    for (const [name, s] of Object.entries(compose.services)) {
      const imageHasHealthCheck = s.build !== undefined && healthCheckCommand() !== undefined;
      const hasHealthCheck = s.healthcheck !== undefined || Boolean(imageHasHealthCheck);
      expect(hasHealthCheck || oneShots.has(name), `${name}: a health check or a one-shot`).toBe(
        true,
      );
    }
  });

  it.each(SERVICES)('starts %s after its migrations, run once its database is healthy', (name) => {
    expect(service(`${name}-migrate`).depends_on).toEqual({
      [`${name}-db`]: { condition: 'service_healthy' },
    });
    expect(service(name).depends_on?.[`${name}-migrate`]).toEqual({
      condition: 'service_completed_successfully',
    });
  });

  it.each(SERVICES)('migrates %s with the database setup program from its own image', (name) => {
    const migrate = service(`${name}-migrate`);

    expect(migrate.command).toEqual(DATABASE_SETUP_COMMAND);
    expect(Object.keys(bundleOf(name).entryPoints).map((entry) => `${entry}.mjs`)).toContain(
      DATABASE_SETUP_COMMAND.at(-1),
    );
    expect(migrate.image).toBe(service(name).image);
    expect(migrate.build).toEqual(service(name).build);
    expect(environmentOf(`${name}-migrate`)).toEqual({
      SERVICE: name,
      DATABASE_URL: environmentOf(name).DATABASE_URL,
    });
  });

  it('starts forum and slots once users is healthy, and the gateway once all three are', () => {
    expect(service('forum').depends_on?.users).toEqual({ condition: 'service_healthy' });
    expect(service('slots').depends_on?.users).toEqual({ condition: 'service_healthy' });
    expect(service('gateway').depends_on).toEqual({
      users: { condition: 'service_healthy' },
      forum: { condition: 'service_healthy' },
      slots: { condition: 'service_healthy' },
    });
  });

  it.each(SERVICES)('connects %s to a database server of its own, with its credentials', (name) => {
    const url = new URL(environmentOf(name).DATABASE_URL ?? '');
    const database = environmentOf(`${name}-db`);

    expect(url.hostname).toBe(`${name}-db`);
    expect(service(`${name}-db`).image).toMatch(/^postgres:17\.\d+-bookworm$/);
    expect(service(`${name}-db`).healthcheck?.test).toContain('pg_isready');
    expect(decodeURIComponent(url.username)).toBe(database.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(database.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${database.POSTGRES_DB}`);
    for (const other of SERVICES.filter((s) => s !== name)) {
      expect(environmentOf(other).DATABASE_URL).not.toContain(`@${name}-db:`);
    }
  });

  it('publishes the gateway port and no other', () => {
    const published = Object.entries(compose.services).filter(([, s]) => s.ports !== undefined);

    expect(published).toEqual([['gateway', expect.objectContaining({ ports: ['3000:3000'] })]]);
  });

  /** What a process sees in its container: the image's environment, then compose's. */
  const containerConfigInput = (name: string) =>
    containerEnvironment({ ...imageEnvironment(), ...environmentOf(name) });

  it('gives users an environment its config accepts, with a stable signing key', () => {
    const config = loadUsersConfig(containerConfigInput('users'));

    expect(config).toMatchObject({ HOST: '0.0.0.0', PORT: 3000, STAGE: '02' });
    expect(config).toMatchObject({ PROCESS_KIND: 'container', TOKEN_ISSUER: 'users' });
    expect(config.JWT_PRIVATE_JWK?.kty).toBe('OKP');
  });

  it.each([
    ['forum', loadForumConfig],
    ['slots', loadSlotsConfig],
  ] as const)(
    'gives %s an environment its config accepts, trusting the users service',
    (name, load) => {
      const config = load(containerConfigInput(name));

      expect(config).toMatchObject({ HOST: '0.0.0.0', PORT: 3000, STAGE: '02' });
      expect(config).toMatchObject({ PROCESS_KIND: 'container', TOKEN_ISSUER: 'users' });
      expect(config.JWKS_URL).toBe('http://users:3000/.well-known/jwks.json');
    },
  );

  it('lets the forum find the slots service by its compose name', () => {
    const config = loadForumConfig(containerConfigInput('forum'));

    expect(new URL(config.SLOTS_URL).hostname).toBe('slots');
    expect(compose.services).toHaveProperty('slots');
  });

  it('gives the gateway an environment its config accepts, routing to the three services', () => {
    const config = loadGatewayConfig(containerConfigInput('gateway'));

    expect(config).toMatchObject({ HOST: '0.0.0.0', PORT: 3000, STAGE: '02' });
    // The web build the gateway's bundle carries, in the image's WORKDIR.
    expect(Object.keys(bundleOf('gateway').optionalFolders ?? {})).toEqual(['web']);
    expect(config.WEB_DIST_DIR).toBe(`${lastOf('WORKDIR')}/web`);
    // Nothing stands in front of the gateway: it must believe no client's X-Forwarded-For.
    expect(config.TRUST_PROXY).toBe(false);
    for (const [variable, target] of [
      ['USERS_URL', 'users'],
      ['FORUM_URL', 'forum'],
      ['SLOTS_URL', 'slots'],
    ] as const) {
      const url = new URL(config[variable]);
      expect(url.hostname).toBe(target);
      expect(url.port).toBe(imageEnvironment().PORT);
    }
  });
});

/*
 * Each image's /app is its process's bundle (cdk/bundles.ts), built here exactly as `cdk synth`
 * and `pnpm bundle` build it, and run with the local Node as the containers would run it: the
 * image's command, in the bundle's folder, with the image's environment.
 */
describe('the bundles the images are built from', () => {
  let bundlesDir = '';
  const bundleDir = (name: BundledProcess) => join(bundlesDir, name);
  let running: RunningStage | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    bundlesDir = await mkdtemp(join(tmpdir(), 'course-02-bundles-'));
    for (const name of BUNDLED_PROCESSES) {
      mkdirSync(bundleDir(name));
      buildBundle(bundleDir(name), name);
    }
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    if (bundlesDir) await rm(bundlesDir, { recursive: true, force: true });
  }, 60_000);

  it.each(SERVICES)(
    'holds the %s server, its database setup, its migrations and the schema engine',
    (name) => {
      for (const file of [
        'server.mjs',
        DATABASE_SETUP_COMMAND.at(-1) ?? '',
        'prisma/schema.prisma',
        'node_modules/@prisma/schema-engine-wasm/schema_engine_bg.wasm',
        'Dockerfile',
      ]) {
        expect(existsSync(join(bundleDir(name), file)), file).toBe(true);
      }
      expect(migrationFolders(join(bundleDir(name), 'prisma/migrations'))).toEqual(
        migrationFolders(migrationsDirOf(name)),
      );
      // Nothing the image never runs, such as the bundle builder's generic migrate.mjs.
      expect(readdirSync(bundleDir(name)).sort()).toEqual([
        '.dockerignore',
        'Dockerfile',
        'database-setup.mjs',
        'node_modules',
        'prisma',
        'server.mjs',
      ]);
    },
  );

  it.each(BUNDLED_PROCESSES)(
    'holds compiled JavaScript only for %s: no TypeScript, no installed packages but the engine',
    (name) => {
      const files = filesOf(bundleDir(name));

      expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
      expect(readdirSync(join(bundleDir(name)))).not.toContain('node');
      expect(
        files.filter(
          (file) =>
            file.startsWith('node_modules/') &&
            !file.startsWith('node_modules/@prisma/schema-engine-wasm/'),
        ),
      ).toEqual([]);
    },
  );

  it.each(BUNDLED_PROCESSES)(
    "compiles none of the other processes' code into %s's bundle",
    (name) => {
      const others = BUNDLED_PROCESSES.filter((other) => other !== name);
      // esbuild begins each module's code with a `// <path>` comment.
      const modules = filesOf(bundleDir(name))
        .filter((file) => file.endsWith('.mjs'))
        .flatMap((file) =>
          [...readFileSync(join(bundleDir(name), file), 'utf8').matchAll(/^\/\/ (\S+)$/gm)].map(
            (match) => match[1] ?? '',
          ),
        );

      expect(modules.some((path) => isCodeOf(name, path))).toBe(true);
      for (const other of others) {
        expect(
          modules.filter((path) => isCodeOf(other, path)),
          other,
        ).toEqual([]);
      }
    },
  );

  it('builds the same bundle, byte for byte, from the same sources', async () => {
    const again = await mkdtemp(join(tmpdir(), 'course-02-bundle-again-'));
    try {
      buildBundle(again, 'users');

      expect(contentHash(again)).toBe(contentHash(bundleDir('users')));
    } finally {
      await rm(again, { recursive: true, force: true });
    }
  });

  it("keeps the Dockerfile out of the image, as the bundle's .dockerignore says", () => {
    const ignored = readFileSync(join(bundleDir('users'), '.dockerignore'), 'utf8').split('\n');

    expect(ignored).toEqual(expect.arrayContaining(['Dockerfile', '.dockerignore']));
    expect(readFileSync(join(bundleDir('users'), 'Dockerfile'), 'utf8')).toBe(dockerfileText);
  });

  it.each(SERVICES)(
    "applies the %s service's own migrations with the setup command of its image",
    async (name) => {
      const database = await startEmbeddedPostgres({});
      try {
        const setup = await run(DATABASE_SETUP_COMMAND, {
          cwd: bundleDir(name),
          env: {
            ...imageEnvironment(),
            SERVICE: name,
            DATABASE_URL: database.url,
            LOG_LEVEL: 'warn',
          },
        });

        expect(setup.code, setup.output).toBe(0);
        expect(await appliedMigrations(database.url)).toEqual(
          migrationFolders(migrationsDirOf(name)),
        );
      } finally {
        await database.stop();
      }
    },
    60_000,
  );

  it('runs every process of the stage from its bundle, with the image command and environment', async () => {
    running = await startStage(fromBundles(stage, bundleDir), {
      publicPort: await freePort(),
      dataDir: join(bundlesDir, '.data'),
      env: {},
      log: (line) => logs.push(line),
    });

    for (const name of PROCESSES) {
      const health = await fetch(`${running.processUrls[name]}/healthz`);
      expect(health.status, logs.join('\n')).toBe(200);
      expect(health.headers.get('x-served-by')).toBe(`${name}@02 (container)`);
    }
    const machine = await fetch(`${running.url}/api/slots/machine`);
    expect(machine.status).toBe(200);
    expect(machine.headers.get('x-served-by')).toBe('slots@02 (container)');
  }, 120_000);

  it('seeds one alice in three databases: the id she logs in with owns her spins and threads', async () => {
    if (!running) throw new Error('the stage did not start; see the previous test');
    const login = await fetch(`${running.url}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: DEMO_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const session = (await login.json()) as { token: string; user: { id: string } };

    const spins = await fetch(`${running.url}/api/slots/spins?limit=100`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    const { items: aliceSpins } = (await spins.json()) as { items: unknown[] };
    const threads = await fetch(`${running.url}/api/threads`);
    const { items: threadList } = (await threads.json()) as {
      items: Array<{ author: { id: string; username: string } }>;
    };
    const aliceAuthorIds = threadList
      .filter((thread) => thread.author.username === 'alice')
      .map((thread) => thread.author.id);

    expect(aliceSpins).toHaveLength([...demoSpins(['alice'])].length);
    expect(aliceAuthorIds.length).toBeGreaterThan(0);
    expect(new Set(aliceAuthorIds)).toEqual(new Set([session.user.id]));
  });

  it('passes the image health check while the service is up, and fails it once it is down', async () => {
    if (!running) throw new Error('the stage did not start; see the previous test');
    const port = new URL(running.processUrls.users ?? '').port;
    const check = () =>
      run(healthCheckCommand() ?? [], {
        cwd: bundleDir('users'),
        env: { ...imageEnvironment(), PORT: port },
      });

    const whileUp = await check();
    await running.stop();
    running = undefined;
    const whenDown = await check();

    expect(whileUp.code, whileUp.output).toBe(0);
    expect(whenDown.code).not.toBe(0);
  }, 60_000);
});

// --- the Dockerfile, read the way the builder reads it -------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

interface BuildStage {
  name: string;
  /** An image reference, or the name of an earlier stage. */
  base: string;
  instructions: Instruction[];
}

/**
 * Instructions per build stage: continuation lines joined, comments and parser directives
 * dropped, global ARG defaults substituted into FROM.
 */
function parseDockerfile(text: string): { stages: BuildStage[] } {
  const logicalLines: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += `${line.replace(/\\\s*$/, '').trim()} `;
    if (continued) continue;
    if (pending.trim() !== '') logicalLines.push(pending.trim());
    pending = '';
  }

  const globalArgs: Record<string, string> = {};
  const stages: BuildStage[] = [];
  for (const line of logicalLines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') {
      const expanded = args.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced, bare) => {
        return globalArgs[braced ?? bare] ?? '';
      });
      const [base = '', , name] = expanded.split(/\s+/);
      stages.push({ name: name ?? `#${stages.length}`, base, instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (current) current.instructions.push(instruction);
    else if (instruction.keyword === 'ARG') {
      const [name = '', value = ''] = args.split('=');
      globalArgs[name] = value;
    }
  }
  return { stages };
}

/** Every `keyword` instruction's arguments in the image, in order. */
function instructionsOf(keyword: string): string[] {
  return dockerfile.stages.flatMap((buildStage) =>
    buildStage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args),
  );
}

function lastOf(keyword: string): string | undefined {
  return instructionsOf(keyword).at(-1);
}

/** The ENV the image starts its processes with. */
function imageEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of instructionsOf('ENV')) {
    for (const [, name = '', value = ''] of args.matchAll(/(\w+)=(\S+)/g)) env[name] = value;
  }
  return env;
}

/** The image's CMD (exec form). */
function imageCommand(): string[] {
  const cmd = lastOf('CMD') ?? '';
  if (!cmd.startsWith('[')) throw new Error(`CMD must be in exec form (a JSON array): ${cmd}`);
  return z.array(z.string()).parse(JSON.parse(cmd));
}

/** The HEALTHCHECK's command (exec form), without its options. */
function healthCheckCommand(): string[] | undefined {
  const args = lastOf('HEALTHCHECK');
  const command = args === undefined ? undefined : /\bCMD\s+(\[.*\])$/.exec(args)?.[1];
  return command === undefined ? undefined : z.array(z.string()).parse(JSON.parse(command));
}

// --- docker-compose.yml: the parts these tests read ----------------------------------------

const dependencySchema = z.object({
  condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']),
});

const composeServiceSchema = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string() }).optional(),
  command: z.array(z.string()).optional(),
  // Strings only: YAML would turn an unquoted 1 or true into a number or a boolean.
  environment: z.record(z.string(), z.string()).optional(),
  depends_on: z.record(z.string(), dependencySchema).optional(),
  healthcheck: z.object({ test: z.array(z.string()) }).optional(),
  ports: z.array(z.string()).optional(),
});

const composeSchema = z.object({ services: z.record(z.string(), composeServiceSchema) });

// --- the bundles ----------------------------------------------------------------------------

/** A process's own code: its folder under src/ (a service), or its one file (a one-shot program). */
function isCodeOf(name: BundledProcess, modulePath: string): boolean {
  return modulePath.includes(`src/${name}/`) || modulePath.endsWith(`src/${name}.ts`);
}

function bundledProcess(name: string): BundledProcess {
  const found = BUNDLED_PROCESSES.find((bundled) => bundled === name);
  if (found === undefined) throw new Error(`${name} has no bundle`);
  return found;
}

/**
 * The stage as the runner starts it, but each process from its bundle with the image's command
 * and environment. (The runner still migrates and seeds the databases from the sources.)
 */
function fromBundles(
  definition: StageDefinition,
  bundleDir: (name: BundledProcess) => string,
): StageDefinition {
  return {
    ...definition,
    processes: definition.processes.map((runnerProcess) => {
      const dir = bundleDir(bundledProcess(runnerProcess.name));
      return {
        ...runnerProcess,
        command: imageCommand(),
        cwd: dir,
        env: (ctx) => ({
          ...imageEnvironment(),
          // Tests listen on loopback only; the image's 0.0.0.0 is for a container's interface.
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          // Where compose points the gateway: the web folder of its bundle (see its test).
          WEB_DIST_DIR: join(dir, 'web'),
          ...runnerProcess.env?.(ctx),
        }),
      };
    }),
  };
}

/** Every file under `dir`, by its path relative to it. */
function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(dir, path)).isFile())
    .sort();
}

/** One hash of every file's path and bytes under `dir`, as an image asset's fingerprint sees them. */
function contentHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of filesOf(dir))
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(dir, file)));
  return hash.digest('hex');
}

function migrationsDirOf(service: Service): string {
  const definition = stage.databases.find((database) => database.name === service);
  if (!definition) throw new Error(`stage 02 has no database named ${service}`);
  return definition.migrationsDir;
}

/** The migration folders under `dir`, in the order they apply. */
function migrationFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function appliedMigrations(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1',
    );
    return rows.map((row) => row.migration_name);
  } finally {
    await client.end();
  }
}

/** Runs a command to its end, with this process's environment plus `env`. */
function run(
  [command = '', ...args]: string[],
  { cwd, env = {} }: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number | null; output: string }> {
  return new Promise((settle, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => settle({ code, output }));
  });
}
