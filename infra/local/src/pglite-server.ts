import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { type Logger, silentLogger } from './logger.ts';

/*
 * Serves one PGlite instance over the Postgres wire protocol, to many client connections at once.
 *
 * PGlite is a single Postgres backend: one session, one transaction at a time. Real Postgres gives
 * every connection its own backend; here all connections share one. Two things make that safe:
 *
 * 1. A connection gets the backend to itself from its first message until the backend answers
 *    ReadyForQuery with status "idle". So an extended-protocol exchange (Parse, Bind, Execute,
 *    Sync) is never mixed with another connection's messages, and an open transaction
 *    (BEGIN ... COMMIT) keeps everyone else waiting until it ends: other connections can never
 *    see uncommitted writes. Transactions run one after the other, which is stricter than
 *    Postgres's default isolation, never weaker.
 * 2. Prepared statement and portal names are per connection in Postgres but would be shared here,
 *    so each connection's names get a private prefix.
 *
 * @electric-sql/pglite-socket 0.2 queues single protocol messages, not whole exchanges, so under
 * load one connection's Bind can land on another connection's Parse. Hence this small server.
 */

const SSL_REQUEST_CODE = 80877103;
const GSSENC_REQUEST_CODE = 80877104;
const CANCEL_REQUEST_CODE = 80877102;
const PROTOCOL_VERSION_3 = 196608;

/** Frontend message types this server looks at (see "Message Formats" in the Postgres docs). */
const MessageType = {
  Query: 'Q'.charCodeAt(0),
  Parse: 'P'.charCodeAt(0),
  Bind: 'B'.charCodeAt(0),
  Describe: 'D'.charCodeAt(0),
  Close: 'C'.charCodeAt(0),
  Execute: 'E'.charCodeAt(0),
  Sync: 'S'.charCodeAt(0),
  Terminate: 'X'.charCodeAt(0),
} as const;

/** ReadyForQuery with transaction status "idle": 'Z', length 5, 'I'. */
const READY_FOR_QUERY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

export interface PGliteServer {
  port: number;
  close(): Promise<void>;
}

/** Starts a TCP server that speaks the Postgres protocol and runs every query on `db`. */
export async function servePGlite(
  db: PGlite,
  opts: { host: string; port: number; log?: Logger },
): Promise<PGliteServer> {
  const log = opts.log ?? silentLogger;
  const backend = new SharedBackend(db, log);
  const sessions = new Set<ClientSession>();
  let nextSessionId = 1;

  const server = createServer((socket) => {
    const session = new ClientSession(nextSessionId++, socket, backend);
    sessions.add(session);
    socket.on('close', () => sessions.delete(session));
  });
  const port = await listen(server, opts.host, opts.port);

  return {
    port,
    async close() {
      backend.closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      await closed;
      // The backend may still be running a batch for a connection that just went away.
      await backend.idle();
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('expected a TCP address'));
        return;
      }
      resolve(address.port);
    });
  });
}

/** The one PGlite backend, handed to one connection at a time in arrival order. */
class SharedBackend {
  closing = false;
  private queue: Promise<void> = Promise.resolve();
  private owner: number | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: PGlite,
    readonly log: Logger,
  ) {}

  /** Waits for the backend; the caller must call the returned function to hand it on. */
  async acquire(sessionId: number): Promise<() => void> {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.queue;
    this.queue = previous.then(() => released);
    const slowWarning = setTimeout(() => {
      this.log.warn(
        { connection: sessionId, heldBy: this.owner },
        'embedded Postgres: connection waiting for another connection to finish its transaction',
      );
    }, 5_000);
    slowWarning.unref();
    await previous;
    clearTimeout(slowWarning);
    this.owner = sessionId;
    return () => {
      this.owner = null;
      release();
    };
  }

  /** Runs raw protocol messages, streaming the raw answer to `onData`. Caller holds the backend. */
  execute(messages: Uint8Array, onData: (chunk: Uint8Array) => void): Promise<void> {
    const run = this.db.execProtocolRawStream(messages, { onRawData: onData });
    this.running = run.catch(() => {});
    return run;
  }

  isInTransaction(): boolean {
    return this.db.isInTransaction();
  }

  /** Resolves once no batch is running, so the PGlite instance can be closed safely. */
  idle(): Promise<void> {
    return this.running;
  }
}

/** One client connection: frames its messages and runs them on the shared backend. */
class ClientSession {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private closed = false;
  private release: (() => void) | null = null;
  /** Everything this connection does runs as one chain, so its messages keep their order. */
  private work: Promise<void> = Promise.resolve();
  private readonly namePrefix: string;
  private readonly statementNames = new Set<string>();

  constructor(
    private readonly id: number,
    private readonly socket: Socket,
    private readonly backend: SharedBackend,
  ) {
    this.namePrefix = `c${id}_`;
    socket.setNoDelay(true);
    socket.on('data', (data) => {
      this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
      this.schedule(() => this.drain());
    });
    socket.on('error', () => {
      // A client vanishing mid-query is normal (Ctrl-C, pool shutdown); 'close' cleans up.
    });
    socket.on('close', () => {
      this.closed = true;
      this.schedule(() => this.cleanUp());
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private schedule(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch((error: unknown) => {
      this.backend.log.error(
        { connection: this.id, err: error },
        'embedded Postgres: connection failed',
      );
      this.socket.destroy();
    });
  }

  /** Runs every complete message that is buffered. */
  private async drain(): Promise<void> {
    while (!this.closed) {
      if (!this.started && !this.handleStartupPhase()) return;
      const batch = this.takeCompleteMessages();
      if (batch === null) return;
      if (this.release === null) this.release = await this.backend.acquire(this.id);
      if (this.closed || this.backend.closing) return;
      await this.runBatch(batch);
    }
  }

  /**
   * Before the startup message a client may ask for SSL/GSS encryption (we answer "no") or send a
   * cancel request (unsupported: queries cannot be interrupted in PGlite). Returns true once the
   * startup message itself is buffered, so that it runs like any other batch.
   */
  private handleStartupPhase(): boolean {
    while (this.buffer.length >= 8) {
      const length = this.buffer.readInt32BE(0);
      const code = this.buffer.readInt32BE(4);
      if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
        this.buffer = this.buffer.subarray(8);
        this.socket.write('N');
        continue;
      }
      if (code === CANCEL_REQUEST_CODE) {
        this.socket.end();
        return false;
      }
      if (code !== PROTOCOL_VERSION_3) {
        this.socket.destroy();
        return false;
      }
      return this.buffer.length >= length;
    }
    return false;
  }

  /** Cuts the complete messages off the front of the buffer, rewriting statement names. */
  private takeCompleteMessages(): { bytes: Buffer; last: number } | null {
    const messages: Buffer[] = [];
    let last = -1;
    if (!this.started) {
      const length = this.buffer.readInt32BE(0);
      messages.push(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
      this.started = true;
      last = MessageType.Sync; // the startup answer ends with ReadyForQuery, like a Sync
    }
    while (this.buffer.length >= 5) {
      const length = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < length) break;
      const message = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      const type = message[0] ?? 0;
      if (type === MessageType.Terminate) {
        this.socket.end();
        break;
      }
      messages.push(this.isolateNames(message));
      last = type;
    }
    if (messages.length === 0) return null;
    return { bytes: Buffer.concat(messages), last };
  }

  private async runBatch(batch: { bytes: Buffer; last: number }): Promise<void> {
    const tailLength = READY_FOR_QUERY_IDLE.length;
    let tail: Buffer = Buffer.alloc(0);
    await this.backend.execute(batch.bytes, (chunk) => {
      // PGlite reuses its output memory, so copy before the chunk leaves this callback.
      const copy = Buffer.from(chunk);
      if (this.socket.writable) this.socket.write(copy);
      tail =
        copy.length >= tailLength
          ? copy.subarray(-tailLength)
          : Buffer.concat([tail, copy]).subarray(-tailLength);
    });
    const exchangeComplete = batch.last === MessageType.Sync || batch.last === MessageType.Query;
    if (exchangeComplete && tail.equals(READY_FOR_QUERY_IDLE)) this.handBackendOn();
  }

  private handBackendOn(): void {
    const release = this.release;
    this.release = null;
    release?.();
  }

  /**
   * When a client goes away mid-transaction, Postgres rolls its transaction back and forgets its
   * prepared statements. The shared backend must do the same, or the next connection would
   * inherit them.
   */
  private async cleanUp(): Promise<void> {
    if (!this.started || this.backend.closing) {
      this.handBackendOn();
      return;
    }
    try {
      if (this.release === null) this.release = await this.backend.acquire(this.id);
      if (this.backend.closing) return;
      const discard = () => {};
      await this.backend.execute(syncMessage(), discard);
      if (this.backend.isInTransaction()) {
        await this.backend.execute(queryMessage('ROLLBACK'), discard);
      }
      if (this.statementNames.size > 0) {
        const closes = [...this.statementNames].map((name) => closeStatementMessage(name));
        await this.backend.execute(Buffer.concat([...closes, syncMessage()]), discard);
      }
    } catch (error) {
      this.backend.log.error(
        { connection: this.id, err: error },
        'embedded Postgres: cleanup after disconnect failed',
      );
    } finally {
      this.handBackendOn();
    }
  }

  /** Prefixes non-empty statement and portal names so that connections cannot collide. */
  private isolateNames(message: Buffer): Buffer {
    const type = message[0];
    const body = message.subarray(5);
    switch (type) {
      case MessageType.Parse: {
        const [name, rest] = splitCString(body);
        if (name !== '') this.statementNames.add(this.prefixed(name));
        return buildMessage(type, [this.cString(name), rest]);
      }
      case MessageType.Bind: {
        const [portal, afterPortal] = splitCString(body);
        const [statement, rest] = splitCString(afterPortal);
        return buildMessage(type, [this.cString(portal), this.cString(statement), rest]);
      }
      case MessageType.Execute: {
        const [portal, rest] = splitCString(body);
        return buildMessage(type, [this.cString(portal), rest]);
      }
      case MessageType.Describe:
      case MessageType.Close: {
        const kind = body.subarray(0, 1);
        const [name, rest] = splitCString(body.subarray(1));
        if (type === MessageType.Close && kind[0] === 'S'.charCodeAt(0)) {
          this.statementNames.delete(this.prefixed(name));
        }
        return buildMessage(type, [kind, this.cString(name), rest]);
      }
      default:
        return message;
    }
  }

  private prefixed(name: string): string {
    return name === '' ? '' : `${this.namePrefix}${name}`;
  }

  private cString(name: string): Buffer {
    return Buffer.from(`${this.prefixed(name)}\0`, 'utf8');
  }
}

function splitCString(bytes: Buffer): [string, Buffer] {
  const end = bytes.indexOf(0);
  if (end === -1) throw new Error('malformed protocol message: missing string terminator');
  return [bytes.subarray(0, end).toString('utf8'), bytes.subarray(end + 1)];
}

function buildMessage(type: number, parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function syncMessage(): Buffer {
  return buildMessage(MessageType.Sync, []);
}

function queryMessage(sql: string): Buffer {
  return buildMessage(MessageType.Query, [Buffer.from(`${sql}\0`, 'utf8')]);
}

function closeStatementMessage(name: string): Buffer {
  return buildMessage(MessageType.Close, [Buffer.from(`S${name}\0`, 'utf8')]);
}
