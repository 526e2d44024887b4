import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
  workspaceRoot,
} from '@course/local';
import { DEMO_PASSWORD, demoSpins } from '@course/monolith/seed';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { validate as validateDockerfile } from 'dockerfile-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { containerEnvironment } from '../src/container-env.ts';
import { loadConfig as loadForumConfig } from '../src/forum/config.ts';
import { loadConfig as loadGatewayConfig } from '../src/gateway/config.ts';
import { loadConfig as loadSlotsConfig } from '../src/slots/config.ts';
import { loadConfig as loadUsersConfig } from '../src/users/config.ts';
import stage from '../stage.ts';

/*
 * This machine (and CI) has no Docker engine, so nothing here builds an image or starts a
 * container. What can be checked without one is checked: the Dockerfile and the compose file
 * against their rules and against the code they start, and the production tree the image is made
 * of, run as plain processes with the image's environment.
 */

const stageDir = fileURLToPath(new URL('..', import.meta.url));
const dockerfileText = readFileSync(join(stageDir, 'Dockerfile'), 'utf8');
const dockerfile = parseDockerfile(dockerfileText);
const PROCESSES = stage.processes.map(({ name }) => name);
const SERVICES = ['users', 'forum', 'slots'] as const;
// ajv-formats is CommonJS; under `nodenext` its default export arrives as `.default`.
const addFormats = ajvFormats.default;

describe('the Dockerfile', () => {
  it('has nothing the Dockerfile validator reports, not even a warning', () => {
    const problems = validateDockerfile(dockerfileText).map(
      (problem) => `line ${problem.range.start.line + 1}: ${problem.message}`,
    );

    expect(problems).toEqual([]);
  });

  it('builds every stage on one exact Node 24 release of the slim Debian image', () => {
    const externalBases = dockerfile.stages
      .map((buildStage) => buildStage.base)
      .filter((base) => !dockerfile.stages.some((other) => other.name === base));

    expect(externalBases.length).toBeGreaterThan(0);
    for (const base of externalBases) expect(base).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
    expect(new Set(externalBases).size).toBe(1);
  });

  it('installs the pnpm release that package.json names as its package manager', () => {
    const rootPackage = z
      .object({ packageManager: z.string() })
      .parse(JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')));
    const pnpmVersion = instructionsOf('build', 'ARG')
      .map((args) => /^PNPM_VERSION=(\S+)$/.exec(args)?.[1])
      .find((version) => version !== undefined);

    expect(`pnpm@${pnpmVersion}`).toBe(rootPackage.packageManager);
  });

  it('has a build stage and one target for each process the local runner starts', () => {
    const names = dockerfile.stages.map((buildStage) => buildStage.name);

    expect(names).toContain('build');
    for (const name of PROCESSES) expect(names).toContain(name);
  });

  it.each(PROCESSES)(
    'runs the %s target unprivileged, exposing its port, with a health check',
    (target) => {
      const user = lastOf(target, 'USER');
      const env = imageEnvironment(target);

      expect(user).toBeDefined();
      expect(['root', '0', '0:0']).not.toContain(user);
      expect(instructionsOf(target, 'EXPOSE').flatMap((args) => args.split(/\s+/))).toContain(
        env.PORT,
      );
      expect(healthCheckCommand(target)?.join(' ')).toContain('/healthz');
      expect(env).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', STAGE: '02' });
    },
  );

  it.each(stage.processes)(
    'starts the $name target with the command the local runner uses',
    (runnerProcess) => {
      const cmd = lastOf(runnerProcess.name, 'CMD');

      expect(cmd, 'CMD in exec form (a JSON array)').toMatch(/^\[/);
      expect(JSON.parse(cmd ?? '')).toEqual(runnerProcess.command);
      // The image's WORKDIR holds the deployed package, whose root is this stage folder.
      expect(resolve(runnerProcess.cwd)).toBe(resolve(stageDir));
    },
  );

  it('names entrypoint files that exist', () => {
    const scripts = stage.processes.flatMap(({ command, cwd }) =>
      command.filter((arg) => arg.endsWith('.ts')).map((arg) => join(cwd, arg)),
    );

    expect(scripts).toHaveLength(PROCESSES.length);
    for (const script of scripts) expect(existsSync(script), script).toBe(true);
  });

  it('copies from the build context only paths that exist and that .dockerignore lets in', () => {
    const ignore = dockerignore();
    const sources = dockerfile.stages.flatMap((buildStage) =>
      buildStage.instructions
        .filter(({ keyword, args }) => keyword === 'COPY' && !args.includes('--from='))
        .flatMap(({ args }) => copySources(args)),
    );

    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(workspaceRoot, source)), source).toBe(true);
      if (source !== '.') expect(ignore.excludes(source), source).toBe(false);
    }
  });

  it('copies from earlier stages only', () => {
    dockerfile.stages.forEach((buildStage, index) => {
      for (const { args } of buildStage.instructions.filter((i) => i.keyword === 'COPY')) {
        const from = /--from=(\S+)/.exec(args)?.[1];
        if (from === undefined) continue;
        const earlier = dockerfile.stages.slice(0, index).map((s) => s.name);
        expect(earlier, `COPY --from=${from} in ${buildStage.name}`).toContain(from);
      }
    });
  });
});

describe('.dockerignore', () => {
  const ignore = dockerignore();

  it.each([
    '.git/HEAD',
    'node_modules/.pnpm/lock.yaml',
    '02-containers/node_modules/tsx/package.json',
    '.data/02-containers/users/PG_VERSION',
    '00-monolith/cdk.out/manifest.json',
    'web/dist/index.html',
    'artifacts/e2e.json',
    'coverage/index.html',
    '02-containers/src/generated/users/client.ts',
    '01-strangler/src/generated/prisma/client.ts',
    'pnpm-debug.log',
    '.env',
    '02-containers/.env',
    '02-containers/.env.production',
    'docs/labs/02-containers.md',
    '02-containers/README.md',
  ])('keeps %s out of the build context', (path) => {
    expect(ignore.excludes(path)).toBe(true);
  });

  it.each([
    'pnpm-lock.yaml',
    'package.json',
    '02-containers/src/users/server.ts',
    '02-containers/prisma/users/schema.prisma',
    '01-strangler/prisma/schema.prisma',
    'web/index.html',
    // The install's postinstall generates infra/local's test client from this fixture.
    'infra/local/test/fixtures/notes/prisma.config.ts',
  ])('sends %s, which the image is built from', (path) => {
    expect(ignore.excludes(path)).toBe(false);
  });
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

  it('builds every image from this Dockerfile, from the repository root, for a target it has', () => {
    const targets = dockerfile.stages.map((buildStage) => buildStage.name);
    const built = Object.values(compose.services).flatMap((s) => (s.build ? [s.build] : []));

    expect(built.length).toBeGreaterThan(0);
    for (const build of built) {
      expect(resolve(stageDir, build.context)).toBe(resolve(workspaceRoot));
      expect(resolve(workspaceRoot, build.dockerfile)).toBe(resolve(stageDir, 'Dockerfile'));
      expect(targets).toContain(build.target);
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
      const imageHasHealthCheck = s.build !== undefined && healthCheckCommand(s.build.target);
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

    expect(migrate.command).toEqual(['node', '--import', 'tsx', 'src/database-setup.ts']);
    expect(existsSync(join(stageDir, 'src/database-setup.ts'))).toBe(true);
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
  const containerConfigInput = (name: string) => {
    const target = service(name).build?.target ?? name;
    return containerEnvironment({ ...imageEnvironment(target), ...environmentOf(name) });
  };

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
    expect(config.WEB_DIST_DIR).toBe(imageEnvironment('gateway').WEB_DIST_DIR);
    // Nothing stands in front of the gateway: it must believe no client's X-Forwarded-For.
    expect(config.TRUST_PROXY).toBe(false);
    for (const [variable, target] of [
      ['USERS_URL', 'users'],
      ['FORUM_URL', 'forum'],
      ['SLOTS_URL', 'slots'],
    ] as const) {
      const url = new URL(config[variable]);
      expect(url.hostname).toBe(target);
      expect(url.port).toBe(imageEnvironment(target).PORT);
    }
  });
});

/*
 * The image's /app is `pnpm deploy --prod` of this package. Files git ignores, like the Prisma
 * clients generated at install, are the ones most likely to go missing there, and the stage's
 * processes are run from such a tree, exactly as the containers would run them.
 */
describe('the production tree the images run', () => {
  let deployDir = '';
  let running: RunningStage | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    deployDir = await mkdtemp(join(tmpdir(), 'course-02-deploy-'));
    // The Dockerfile's own deploy command, so that the tree tested is the tree it builds.
    const deploy = await run(dockerfileDeployCommand(deployDir), { cwd: workspaceRoot });
    if (deploy.code !== 0) throw new Error(`pnpm deploy failed:\n${deploy.output}`);
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    if (deployDir) await rm(deployDir, { recursive: true, force: true });
  }, 60_000);

  it('has the Prisma clients generated at install, although git ignores them', () => {
    for (const client of [
      'src/generated/users/client.ts',
      'src/generated/forum/client.ts',
      // The slots service's client belongs to stage 01's package, where its schema lives.
      'node_modules/@course/strangler/src/generated/prisma/client.ts',
    ]) {
      expect(existsSync(join(deployDir, client)), client).toBe(true);
    }
  });

  it('has the production dependencies and none of the development ones', () => {
    const installed = (name: string) => existsSync(join(deployDir, 'node_modules', name));

    for (const name of [
      'tsx',
      'express',
      '@prisma/client',
      '@course/service-kit',
      '@course/migrate',
    ]) {
      expect(installed(name), name).toBe(true);
    }
    // Not even as a dependency of a dependency: the local runner and the benchmark tools.
    const packages = readdirSync(join(deployDir, 'node_modules', '.pnpm'));
    expect(
      packages.filter((dir) => dir.startsWith('@course+local@') || dir.startsWith('autocannon@')),
    ).toEqual([]);
    for (const name of [
      'aws-cdk-lib',
      'cdk-nag',
      '@course/constructs',
      'vitest',
      'dockerfile-utils',
    ]) {
      expect(installed(name), name).toBe(false);
    }
  });

  it('applies migrations with the database setup program run from the tree', async () => {
    const database = await startEmbeddedPostgres({});
    try {
      const setup = await run(['node', '--import', 'tsx', 'src/database-setup.ts'], {
        cwd: deployDir,
        env: {
          ...imageEnvironment('forum'),
          SERVICE: 'forum',
          DATABASE_URL: database.url,
          LOG_LEVEL: 'warn',
        },
      });

      expect(setup.code, setup.output).toBe(0);
      expect(await appliedMigrations(database.url)).toEqual(
        readdirSync(join(stageDir, 'prisma/forum/migrations'), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => entry.name)
          .sort(),
      );
    } finally {
      await database.stop();
    }
  }, 60_000);

  it('runs every process of the stage from the tree, with the image environment', async () => {
    running = await startStage(fromTree(stage, deployDir), {
      publicPort: await freePort(),
      dataDir: join(deployDir, '.data'),
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
      run(healthCheckCommand('users') ?? [], {
        cwd: deployDir,
        env: { ...imageEnvironment('users'), PORT: port },
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

/** A target's stage and the stages it is built FROM, the base first. */
function lineage(target: string): BuildStage[] {
  const found = dockerfile.stages.find((buildStage) => buildStage.name === target);
  if (!found) throw new Error(`the Dockerfile has no stage "${target}"`);
  const parent = dockerfile.stages.some((buildStage) => buildStage.name === found.base);
  return parent ? [...lineage(found.base), found] : [found];
}

/** Every `keyword` instruction's arguments in the image a target builds, in order. */
function instructionsOf(target: string, keyword: string): string[] {
  return lineage(target).flatMap((buildStage) =>
    buildStage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args),
  );
}

function lastOf(target: string, keyword: string): string | undefined {
  return instructionsOf(target, keyword).at(-1);
}

/** The ENV a target's image starts its processes with. */
function imageEnvironment(target: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of instructionsOf(target, 'ENV')) {
    for (const [, name = '', value = ''] of args.matchAll(/(\w+)=(\S+)/g)) env[name] = value;
  }
  return env;
}

/** The build stage's `pnpm deploy` command, writing to `outDir` instead of the image's /out. */
function dockerfileDeployCommand(outDir: string): string[] {
  const deploy = instructionsOf('build', 'RUN').find((args) => /^pnpm .* deploy /.test(args));
  if (!deploy) throw new Error('the build stage has no `pnpm … deploy` RUN');
  const [command = ''] = deploy.split('&&');
  const argv = command.trim().split(/\s+/);
  if (!argv.includes('--prod')) throw new Error(`the deploy must be --prod: ${command}`);
  return argv.map((arg) => (arg === '/out' ? outDir : arg));
}

/** The HEALTHCHECK's command (exec form), without its options. */
function healthCheckCommand(target: string): string[] | undefined {
  const args = lastOf(target, 'HEALTHCHECK');
  const command = args === undefined ? undefined : /\bCMD\s+(\[.*\])$/.exec(args)?.[1];
  return command === undefined ? undefined : z.array(z.string()).parse(JSON.parse(command));
}

/** The sources of a shell-form COPY: every argument but the flags and the destination. */
function copySources(args: string): string[] {
  return args
    .split(/\s+/)
    .filter((arg) => !arg.startsWith('--'))
    .slice(0, -1);
}

/**
 * The repository's .dockerignore as Docker applies it: a pattern matches a path or any folder
 * above it, `**` spans folders, `*` does not, and the last matching pattern wins (`!` re-includes).
 */
function dockerignore(): { excludes(path: string): boolean } {
  const rules = readFileSync(join(workspaceRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = (include ? line.slice(1) : line).replace(/^\/+/, '');
      const source = pattern
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) => {
          if (part === '**/' || part === '**') return '(?:.*/)?';
          if (part === '*') return '[^/]*';
          if (part === '?') return '[^/]';
          return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      return { include, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return {
    excludes(path) {
      let excluded = false;
      for (const rule of rules) if (rule.regex.test(path)) excluded = !rule.include;
      return excluded;
    },
  };
}

// --- docker-compose.yml: the parts these tests read ----------------------------------------

const dependencySchema = z.object({
  condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']),
});

const composeServiceSchema = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string(), dockerfile: z.string(), target: z.string() }).optional(),
  command: z.array(z.string()).optional(),
  // Strings only: YAML would turn an unquoted 1 or true into a number or a boolean.
  environment: z.record(z.string(), z.string()).optional(),
  depends_on: z.record(z.string(), dependencySchema).optional(),
  healthcheck: z.object({ test: z.array(z.string()) }).optional(),
  ports: z.array(z.string()).optional(),
});

const composeSchema = z.object({ services: z.record(z.string(), composeServiceSchema) });

// --- the production tree -----------------------------------------------------------------

/** The stage as the runner starts it, but from the deployed tree and with the image's ENV. */
function fromTree(definition: StageDefinition, dir: string): StageDefinition {
  return {
    ...definition,
    databases: definition.databases.map((database) => ({
      ...database,
      seed: database.seed && { ...database.seed, cwd: dir },
    })),
    processes: definition.processes.map((runnerProcess) => ({
      ...runnerProcess,
      cwd: dir,
      env: (ctx) => ({
        ...imageEnvironment(runnerProcess.name),
        // Tests listen on loopback only; the image's 0.0.0.0 is for a container's interface.
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...runnerProcess.env?.(ctx),
      }),
    })),
  };
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
