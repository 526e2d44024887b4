import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';

// scrypt cost parameters. N = 2^15, r = 8 needs 32 MiB and ~50-100 ms per hash on a laptop:
// slow enough to make offline guessing expensive, fast enough for a login endpoint.
// They are stored with each hash, so raising them later keeps old hashes verifiable.
const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

// scrypt runs on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise), which
// the process shares with DNS lookups, file reads and the database driver's SCRAM handshake
// (WebCrypto). A burst of registrations would queue every hash there at once, and a new database
// connection would wait behind all of them: long enough, on a busy machine, for the pool's
// connection timeout to fire and the request to answer 503. So at most half the pool hashes at a
// time (never more than there are cores: more would only make each hash slower), and the rest wait
// here, in arrival order.
const LIBUV_DEFAULT_THREADS = 4;

/** At most `size` tasks at once; the others start in arrival order as slots free up. */
class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so `running` never drops and rises again.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

const hashingSlots = new Slots(Math.min(availableParallelism(), LIBUV_DEFAULT_THREADS / 2));

/** Hashes a password as "scrypt$N$r$p$salt$hash" (salt and hash base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await deriveKey(password, salt, KEY_LENGTH, COST);
  return [
    'scrypt',
    COST.N,
    COST.r,
    COST.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

/** True when the password matches; false for a wrong password or an unreadable stored hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (!parsed) return false;
  const candidate = await deriveKey(password, parsed.salt, parsed.hash.length, parsed.cost);
  // Constant time, so the response time does not reveal how many leading bytes matched.
  return timingSafeEqual(candidate, parsed.hash);
}

interface StoredHash {
  cost: { N: number; r: number; p: number };
  salt: Buffer;
  hash: Buffer;
}

function parseStoredHash(stored: string): StoredHash | undefined {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash || rest.length > 0) return undefined;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (!Object.values(cost).every((v) => Number.isSafeInteger(v) && v > 0)) return undefined;
  const hashBytes = Buffer.from(hash, 'base64url');
  if (hashBytes.length === 0) return undefined;
  return { cost, salt: Buffer.from(salt, 'base64url'), hash: hashBytes };
}

function deriveKey(
  password: string,
  salt: Buffer,
  keyLength: number,
  cost: { N: number; r: number; p: number },
): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; allow twice that so the default 32 MiB cap never bites.
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return hashingSlots.run(
    () =>
      new Promise((resolve, reject) => {
        scrypt(password.normalize('NFC'), salt, keyLength, options, (err, key) =>
          err ? reject(err) : resolve(key),
        );
      }),
  );
}
