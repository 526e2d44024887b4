import { type ChildProcess, spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { workspaceBinDir } from './workspace.ts';

/** How many of a child's last output lines are kept to explain a failure. */
const KEPT_LINES = 20;

/** If the runner exits without stop() (an uncaught error), kill whatever is left on the way out. */
const running = new Set<Child>();
process.on('exit', () => {
  for (const child of running) child.kill();
});

export interface ChildOptions {
  name: string;
  cwd: string;
  command: string[];
  env: Record<string, string>;
  /** Receives every output line, already prefixed with "[name] ". */
  log: (line: string) => void;
  /** ANSI colour code for the prefix, or null for plain text. */
  color: number | null;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started child process with prefixed logs and a memory of its last lines. */
export class Child {
  readonly name: string;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  private readonly process: ChildProcess;
  private readonly recentLines: string[] = [];
  private exitStatus: ExitStatus | null = null;

  constructor(opts: ChildOptions) {
    this.name = opts.name;
    const [program, ...args] = opts.command;
    if (program === undefined) throw new Error(`process "${opts.name}" has an empty command`);
    this.process = spawn(resolveProgram(program), args, {
      cwd: opts.cwd,
      env: childEnvironment(opts.cwd, opts.env),
      // Same process group as the runner: a Ctrl-C in the terminal reaches every process directly,
      // so none is left behind even if the runner itself is killed while stopping.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix =
      opts.color === null ? `[${opts.name}]` : `\u001b[${opts.color}m[${opts.name}]\u001b[0m`;
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        this.remember(line);
        opts.log(`${prefix} ${line}`);
      });
    }
    this.exited = new Promise((resolve) => {
      this.process.once('error', (error) => {
        this.remember(`could not start "${opts.command.join(' ')}": ${error.message}`);
        this.exitStatus = { code: null, signal: null };
        running.delete(this);
        resolve(this.exitStatus);
      });
      this.process.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        running.delete(this);
        resolve(this.exitStatus);
      });
    });
    running.add(this);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get hasExited(): boolean {
    return this.exitStatus !== null;
  }

  /** The last lines the process printed, oldest first. */
  lastLines(): string[] {
    return [...this.recentLines];
  }

  /** Kills the process at once, without waiting. */
  kill(): void {
    this.signal('SIGKILL');
  }

  /** SIGTERM, then SIGKILL if it is still running after `graceMs`. */
  async stop(graceMs: number): Promise<ExitStatus> {
    if (this.exitStatus !== null) return this.exitStatus;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exitStatus === null) this.process.kill(signal);
  }

  private remember(line: string): void {
    this.recentLines.push(line);
    if (this.recentLines.length > KEPT_LINES) this.recentLines.shift();
  }
}

/** Runs a process to completion; fails with its last lines unless it exits with code 0. */
export async function runToCompletion(opts: ChildOptions): Promise<void> {
  const child = new Child(opts);
  const { code, signal } = await child.exited;
  if (code !== 0) throw new ChildFailedError(child, `exited with ${signal ?? `code ${code}`}`);
}

export class ChildFailedError extends Error {
  constructor(child: Child, what: string) {
    const lines = child.lastLines();
    const tail =
      lines.length === 0 ? ' It printed nothing.' : ` Its last lines:\n${lines.join('\n')}`;
    super(`${child.name} ${what}.${tail}`);
    this.name = 'ChildFailedError';
  }
}

/** 'node' means this very Node binary: the PATH may hold an older one. */
function resolveProgram(program: string): string {
  return program === 'node' ? process.execPath : program;
}

/** The runner's environment, binaries of the package and the workspace first on PATH, plus extras. */
function childEnvironment(cwd: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const path = [join(cwd, 'node_modules', '.bin'), workspaceBinDir, process.env.PATH ?? '']
    .filter((part) => part !== '')
    .join(delimiter);
  return { ...process.env, ...extra, PATH: path };
}
