/*
 * nginx as a yardstick for the facade: a benchmark that only says "the facade costs 0.4 ms per
 * request" leaves the learner asking whether that is a lot. The same requests through nginx, a
 * reverse proxy written in C, set in the same run, show what any proxy hop costs and what is
 * Node's and Express's share of it.
 */
import { constants } from 'node:fs';
import { access, chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Child, ChildFailedError, runToCompletion } from '../child-process.ts';
import { freePort } from '../free-port.ts';

/** Where nginx forwards to: one origin for every path, or origins by path prefix. */
export type NginxUpstreams =
  | {
      /** An origin such as http://127.0.0.1:41234 that receives every request. */
      upstream: string;
      upstreams?: never;
    }
  | {
      /**
       * Path prefix → origin, e.g. { '/api/slots/': slotsUrl, '/': monolithUrl }. As in nginx,
       * the longest matching prefix wins, which is what a route table listing its most specific
       * routes first does too; a path that no prefix matches gets nginx's 404.
       */
      upstreams: Record<string, string>;
      upstream?: never;
    };

export type StartNginxOptions = NginxUpstreams & {
  /** Receives nginx's own output lines (and apt-get's, when it installs nginx); dropped by default. */
  log?: (line: string) => void;
};

export interface RunningNginx {
  /** e.g. http://127.0.0.1:41235 */
  url: string;
  /** The master process; its workers are its children. */
  pid: number;
  /** Shuts nginx down (SIGTERM, then SIGKILL), waits for it to exit and removes its folder. */
  stop(): Promise<void>;
}

/** Debian's binary; NGINX_PATH points at another one (e.g. Homebrew's on a Mac). */
const DEBIAN_NGINX = '/usr/sbin/nginx';
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
/** Path prefixes end up in the config file as they are, so only plain path characters pass. */
const SAFE_PREFIX = /^\/[A-Za-z0-9_\-./~]*$/;

/**
 * Starts nginx as a reverse proxy on a free port of 127.0.0.1, configured to do what the
 * facade does on the way through (see `nginxConfig`), and resolves once it accepts
 * connections. Installs Debian's nginx first when it is missing and we may (root or sudo).
 */
export async function startNginx(options: StartNginxOptions): Promise<RunningNginx> {
  const log = options.log ?? (() => {});
  const locations = upstreamLocations(options);
  const binary = await ensureNginx(log);
  const dir = await mkdtemp(join(tmpdir(), 'course-nginx-'));
  try {
    // Run as root, nginx's workers drop to "nobody"; they must be able to reach the temp paths.
    await chmod(dir, 0o711);
    const port = await freePort();
    await writeFile(join(dir, 'nginx.conf'), nginxConfig({ dir, port, locations }));
    const child = new Child({
      name: 'nginx',
      cwd: dir,
      command: nginxCommand(binary, dir),
      env: {},
      log,
      color: null,
    });
    const pid = await waitUntilListening(child, port);
    return {
      url: `http://127.0.0.1:${port}`,
      pid,
      stop: once(async () => {
        // SIGTERM is nginx's fast shutdown: the master stops its workers and exits after them.
        await child.stop(STOP_GRACE_MS);
        await rm(dir, { recursive: true, force: true });
      }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

interface Location {
  prefix: string;
  /** host:port of the origin */
  server: string;
}

function upstreamLocations(options: NginxUpstreams): Location[] {
  const table = options.upstreams ?? { '/': options.upstream };
  const locations = Object.entries(table).map(([prefix, origin]) => {
    if (!SAFE_PREFIX.test(prefix)) {
      throw new Error(`nginx upstream prefix "${prefix}" must be a plain path starting with /`);
    }
    return { prefix, server: originToServer(origin) };
  });
  if (locations.length === 0) throw new Error('startNginx needs at least one upstream');
  return locations;
}

/** "http://127.0.0.1:41234" → "127.0.0.1:41234"; nginx proxies plain HTTP origins only here. */
function originToServer(origin: string): string {
  const url = new URL(origin);
  if (url.protocol !== 'http:' || (url.pathname !== '/' && url.pathname !== '')) {
    throw new Error(`nginx upstream "${origin}" must be an http:// origin without a path`);
  }
  return `${url.hostname}:${url.port || '80'}`;
}

/**
 * The configuration, every choice made to match the facade (Express + http-proxy-middleware in
 * one Node process), so that the comparison measures the proxies and not their settings:
 *
 * - one worker process, because the facade is one event loop on one core;
 * - keep-alive to the origin (`keepalive 64`, HTTP/1.1, no "Connection: close"), as Node's
 *   default agent keeps sockets open; no cap on requests per connection either way;
 * - no buffering: http-proxy-middleware pipes request and response bodies through as they
 *   arrive, so nginx relays them too (`proxy_buffering off`, `proxy_request_buffering off`)
 *   instead of collecting whole bodies first; no body size limit, the origin decides;
 * - the headers the facade sets: the original Host, X-Forwarded-For/Proto/Host, and the
 *   caller's X-Request-Id passed through, or a new one (nginx's $request_id) when it sent none;
 * - no access log (the stage's own request logs are off in benchmarks too); the error log,
 *   pid file and temp files stay inside nginx's own temp folder.
 */
function nginxConfig(opts: { dir: string; port: number; locations: Location[] }): string {
  const path = (name: string) => quoted(join(opts.dir, name));
  const servers = [...new Set(opts.locations.map((l) => l.server))];
  const upstreamName = (server: string) => `origin_${servers.indexOf(server)}`;
  const upstreamBlocks = servers.map(
    (server) => `
  upstream ${upstreamName(server)} {
    server ${server};
    keepalive 64;
    keepalive_requests 1000000;
  }`,
  );
  const locationBlocks = opts.locations.map(
    (l) => `
    location ${l.prefix} {
      proxy_pass http://${upstreamName(l.server)};
    }`,
  );
  return `# Written by @course/local startNginx: a reverse proxy equivalent to the stage's facade.
worker_processes 1;
pid ${path('nginx.pid')};
error_log ${path('error.log')} warn;

events {
  worker_connections 4096;
}

http {
  access_log off;
  server_tokens off;
  client_body_temp_path ${path('client_body')};
  proxy_temp_path ${path('proxy')};
  fastcgi_temp_path ${path('fastcgi')};
  uwsgi_temp_path ${path('uwsgi')};
  scgi_temp_path ${path('scgi')};

  map $http_x_request_id $forwarded_request_id {
    "" $request_id;
    default $http_x_request_id;
  }
${upstreamBlocks.join('\n')}

  server {
    listen 127.0.0.1:${opts.port};
    keepalive_requests 1000000;
    client_max_body_size 0;

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $http_host;
    proxy_set_header X-Request-Id $forwarded_request_id;
    proxy_buffering off;
    proxy_request_buffering off;
${locationBlocks.join('\n')}
  }
}
`;
}

/** A quoted nginx config string; our own temp paths never hold a quote, but say so if one does. */
function quoted(value: string): string {
  if (/["\\]/.test(value)) throw new Error(`nginx path ${value} contains a quote or backslash`);
  return `"${value}"`;
}

/**
 * `-p` makes the folder nginx's prefix, `-e` sends even the messages written before the config
 * is read to the folder's error log (not /var/log/nginx, which needs root), and "daemon off"
 * keeps the master in the foreground as our child, so stopping it is ours to do.
 */
function nginxCommand(binary: string, dir: string): string[] {
  return [
    binary,
    '-p',
    `${dir}/`,
    '-c',
    join(dir, 'nginx.conf'),
    '-e',
    join(dir, 'error.log'),
    '-g',
    'daemon off;',
  ];
}

/** Resolves with the master's pid once the port accepts connections. */
async function waitUntilListening(child: Child, port: number): Promise<number> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.pid !== undefined && (await acceptsConnections(port))) return child.pid;
    await Promise.race([sleep(50), child.exited]);
    if (child.hasExited) {
      const { code, signal } = await child.exited;
      // nginx prints start-up errors ("[emerg] …") on stderr as well as to its error log.
      const what = `exited with ${signal ?? `code ${code}`} before it accepted connections`;
      throw new ChildFailedError(child, what);
    }
  }
  await child.stop(STOP_GRACE_MS);
  throw new Error(`nginx did not accept connections on port ${port} within 10 s`);
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** One installation at a time, even when several benchmarks or tests start nginx at once. */
let installation: Promise<string> | undefined;

/** The nginx binary to run; installs Debian's package when there is none and we may. */
function ensureNginx(log: (line: string) => void): Promise<string> {
  installation ??= findOrInstallNginx(log).catch((error: unknown) => {
    installation = undefined; // let a later call try again
    throw error;
  });
  return installation;
}

async function findOrInstallNginx(log: (line: string) => void): Promise<string> {
  const configured = process.env.NGINX_PATH;
  if (configured) {
    if (await isExecutable(configured)) return configured;
    throw new Error(`NGINX_PATH is ${configured}, but there is no such file`);
  }
  const found = await findNginx();
  if (found !== undefined) return found;
  const sudo = await aptInstallPrefix();
  if (sudo === undefined) {
    throw new Error(
      'nginx is not installed, and installing it needs apt-get with root or sudo. ' +
        'Install nginx yourself (Debian/Ubuntu: sudo apt-get install -y nginx, macOS: ' +
        'brew install nginx) or set NGINX_PATH to its binary.',
    );
  }
  log('Installing nginx from Debian (apt-get)…');
  for (const args of [['update'], ['install', '-y', 'nginx']]) {
    await runToCompletion({
      name: 'apt-get',
      cwd: tmpdir(),
      command: [...sudo, 'apt-get', ...args],
      env: { DEBIAN_FRONTEND: 'noninteractive' },
      log,
      color: null,
    });
  }
  const installed = await findNginx();
  if (installed === undefined) throw new Error('apt-get installed nginx, but no binary was found');
  return installed;
}

/** Debian's path first (sbin is often not on a user's PATH), then the PATH. */
async function findNginx(): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const candidate of [DEBIAN_NGINX, ...dirs.map((d) => join(d, 'nginx'))]) {
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** [] as root, ['sudo', '-n'] when sudo works without a password, undefined when neither. */
async function aptInstallPrefix(): Promise<string[] | undefined> {
  if (!(await isExecutable('/usr/bin/apt-get'))) return undefined;
  if (process.getuid?.() === 0) return [];
  const sudo = ['sudo', '-n'];
  try {
    await runToCompletion({
      name: 'sudo',
      cwd: tmpdir(),
      command: [...sudo, 'true'],
      env: {},
      log: () => {},
      color: null,
    });
    return sudo;
  } catch {
    return undefined;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The first call runs `fn`; later calls get the same promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= fn();
    return result;
  };
}
