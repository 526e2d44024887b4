/*
 * Stage 04's own check for `pnpm verify 04 --base-url <url>`, run after the contract suite: the
 * events of a spin arrive where they should, seconds later at most. A new player spins the
 * smallest bet until a big win (at most MAX_SPINS), then the check waits, up to --wait-seconds,
 * for the announcement in the forum's "Big wins" thread and for the leaderboard to reflect the
 * spin; with --audit-bucket <name>, for the spin's event in the audit log too (S3, with the
 * credentials of the shell: `aws configure` or AWS_PROFILE).
 */
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BIG_WIN_MULTIPLE, parseDomainEvent } from '@course/contract/events';
import { signUpPlayer } from '@course/local';
import { auditKeyOf, EVENTS_PREFIX } from './src/audit/audit-log.ts';
import { BIG_WINS_THREAD, SYSTEM_AUTHOR } from './src/forum/announcements.ts';

export const options = {
  'audit-bucket': { type: 'string' },
  'wait-seconds': { type: 'string' },
} as const;

export const usage = [
  '  --audit-bucket <name>  also find the spin in the audit log (the stack output AuditLogBucket)',
  '  --wait-seconds <n>     how long the events may take to arrive (default 60)',
].join('\n');

/** About one spin in thirty is a big win: 400 spins without one, about 1 in a million. */
const MAX_SPINS = 400;

interface Spin {
  id: string;
  bet: number;
  payout: number;
  balance: number;
  createdAt: string;
}

export interface EventsCheckOptions {
  baseUrl: string;
  auditBucket?: string;
  waitSeconds?: number;
  /** The S3 client for the audit log; by default one with the shell's credentials and region. */
  s3?: S3Client;
  log?: (line: string) => void;
}

export default async function verify({
  baseUrl,
  values,
}: {
  baseUrl: string;
  values: Record<string, string | boolean | undefined>;
}): Promise<void> {
  const waitSeconds = values['wait-seconds'] === undefined ? 60 : Number(values['wait-seconds']);
  if (!(waitSeconds > 0)) throw new Error('--wait-seconds must be a positive number');
  const auditBucket = values['audit-bucket'];
  await checkEventsArrive({
    baseUrl,
    waitSeconds,
    ...(typeof auditBucket === 'string' ? { auditBucket } : {}),
  });
}

/** The whole check; throws, saying what did not arrive, when something did not. */
export async function checkEventsArrive({
  baseUrl,
  auditBucket,
  waitSeconds = 60,
  s3,
  log = (line) => process.stdout.write(`${line}\n`),
}: EventsCheckOptions): Promise<void> {
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(new URL(path, baseUrl), init);
    if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${response.status}`);
    return (await response.json()) as T;
  };
  const username = `verify_${randomBytes(5).toString('hex')}`;
  const token = await signUpPlayer(baseUrl, username);
  const { minBet } = await api<{ minBet: number }>('/api/slots/machine');
  let spin: Spin | undefined;
  let spins = 0;
  while (spins < MAX_SPINS) {
    spins += 1;
    spin = await api<Spin>('/api/slots/spins', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ bet: minBet }),
    });
    if (spin.payout >= BIG_WIN_MULTIPLE * spin.bet) break;
  }
  if (!spin || spin.payout < BIG_WIN_MULTIPLE * spin.bet) {
    throw new Error(`no big win in ${MAX_SPINS} spins: the machine's odds are not the course's`);
  }
  const bigWin = spin;
  log(`✓ ${username} won ${bigWin.payout} credits on spin ${spins} (spin ${bigWin.id})`);

  const deadline = Date.now() + waitSeconds * 1000;
  const waitFor = async (what: string, found: () => Promise<boolean>) => {
    const started = Date.now();
    while (!(await found())) {
      if (Date.now() > deadline) throw new Error(`✗ ${what}: not within ${waitSeconds} s`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    log(`✓ ${what} (after ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  };

  await waitFor(`the announcement in the forum's "${BIG_WINS_THREAD.title}" thread`, async () => {
    const response = await fetch(new URL(`/api/threads/${BIG_WINS_THREAD.id}?limit=100`, baseUrl));
    if (response.status === 404) return false; // no big win announced yet on this deployment
    let page = (await response.json()) as ThreadPage;
    for (let pages = 0; pages < 100; pages++) {
      const announced = page.posts.some(
        (post) =>
          post.author.id === SYSTEM_AUTHOR.id &&
          post.body.startsWith(`${username} hit`) &&
          post.body.includes(`${bigWin.payout} credits`),
      );
      if (announced) return true;
      if (page.nextCursor === null) return false;
      page = await api<ThreadPage>(
        `/api/threads/${BIG_WINS_THREAD.id}?limit=100&cursor=${encodeURIComponent(page.nextCursor)}`,
      );
    }
    return false;
  });

  // The leaderboard shows ten players: the new one only if that rich. Either way its asOf (the
  // time of the newest event it reflects) reaches the big win's; a second of leeway for the
  // clocks of the database (the spin's createdAt) and of the function (the event's time).
  await waitFor('the leaderboard reflecting the big win', async () => {
    const board = await api<Leaderboard>('/api/slots/leaderboard');
    const entry = board.items.find((item) => item.username === username);
    if (entry) return entry.balance === bigWin.balance;
    return (
      board.asOf !== undefined && Date.parse(board.asOf) >= Date.parse(bigWin.createdAt) - 1_000
    );
  });

  if (auditBucket !== undefined) {
    const client = s3 ?? new S3Client({});
    await waitFor(`the spin in the audit log (s3://${auditBucket})`, () =>
      auditedSpin(client, auditBucket, bigWin),
    );
  }
}

interface ThreadPage {
  posts: { author: { id: string }; body: string }[];
  nextCursor: string | null;
}

interface Leaderboard {
  items: { username: string; balance: number }[];
  asOf?: string;
}

/** Whether the spin's event is in the audit log: the day's objects, newest first, read in turn. */
async function auditedSpin(s3: S3Client, bucket: string, spin: Spin): Promise<boolean> {
  const day = auditKeyOf({ id: '', time: spin.createdAt }).slice(0, EVENTS_PREFIX.length + 11);
  const objects: { key: string; modified: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: day, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key)
        objects.push({ key: object.Key, modified: object.LastModified?.getTime() ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  objects.sort((a, b) => b.modified - a.modified);
  for (const { key } of objects.slice(0, 200)) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const event = parseDomainEvent(await object.Body?.transformToString());
    if (event.type === 'SpinSettled' && event.data.spinId === spin.id) return true;
  }
  return false;
}
