import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient, Schemas } from '../../lib/api.ts';
import { useIdempotentRequest } from '../../lib/idempotency.ts';
import { ApiProblem, asProblem, call, type Problem } from '../../lib/problem.ts';
import { navigate } from '../../lib/router.tsx';

export type Purchase = Schemas['Purchase'];

/** How the page asks for a running purchase's record: soon at first, then less and less often. */
export interface PollSchedule {
  /** The wait before the first read after Buy (a reload or a link reads at once). */
  firstDelayMs: number;
  /** Each wait doubles up to this. */
  maxDelayMs: number;
  /** The page stops asking once the purchase has been `running` this long under its eyes. */
  giveUpAfterMs: number;
}

/**
 * A saga's usual path (debit, grant) ends within a second, so the first read comes soon. While
 * the record says `running` the waits double, like the saga's own retries: a grant retried
 * 1 + 2 + 4 s apart ends within about ten seconds. Past two minutes the saga is in a compensation
 * that retries for up to an hour and a half (or it is stuck, and the server's reconciler closes it
 * within minutes): a page reading every five seconds for that long would be load for nothing, so
 * it says so and lets the player look again later.
 */
export const POLL_SCHEDULE: PollSchedule = {
  firstDelayMs: 500,
  maxDelayMs: 5_000,
  giveUpAfterMs: 120_000,
};

/** Where the shop shows a purchase: the address names it, so a reload or a link follows it again. */
export function purchasePath(id: string): string {
  return `/shop?purchase=${encodeURIComponent(id)}`;
}

/** Statuses worth asking again for: the record is still there, the answer just did not come. */
const TRANSIENT_STATUSES = new Set([0, 429, 502, 503, 504]);

export type Start =
  | { state: 'idle' }
  | { state: 'starting'; titleId: string }
  | { state: 'failed'; problem: Problem; retryable: boolean };

/**
 * Whether the page is reading the followed purchase's record: `following` while it does,
 * `still-running` once it stopped after `giveUpAfterMs` with the saga not over, `stopped` when
 * there is nothing to follow, the saga has ended, or a read failed for good.
 */
export type Watch = 'following' | 'still-running' | 'stopped';

export interface PurchaseProgress {
  /** Starting a purchase: POST /api/slots/purchases. */
  start: Start;
  /** The followed purchase as its record last read; null before its first answer. */
  purchase: Purchase | null;
  /** The last failed read of the record; polling goes on after a transient one. */
  problem: Problem | null;
  watch: Watch;
  /** True from the Buy click until the saga has ended or the page stopped following it. */
  busy: boolean;
  buy: (titleId: string) => Promise<void>;
  /** Reads the record at once and follows it again (after a problem, or after giving up). */
  lookAgain: () => void;
}

/**
 * Starts a purchase and follows its saga. The answer to POST comes at once (202): the steps run
 * afterwards, and each step writes its attempts into the purchase's record, so the page reads
 * GET /api/slots/purchases/{id} on the `schedule` until the status is no longer `running`, and
 * stops when the page goes away or the purchase in the address changes.
 *
 * `followedId` is the purchase the address names (`/shop?purchase=<id>`); Buy puts the new
 * purchase's id there, so the address is the one source of what the page follows.
 */
export function usePurchase(
  api: ApiClient,
  followedId: string | null,
  schedule: PollSchedule = POLL_SCHEDULE,
): PurchaseProgress {
  const idempotent = useIdempotentRequest();
  const [start, setStart] = useState<Start>({ state: 'idle' });
  const [record, setRecord] = useState<Purchase | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [watch, setWatch] = useState<Watch>('stopped');
  const [lookedAgain, setLookedAgain] = useState(0);
  // The POST's answer is already the record: the first read after Buy can wait for the saga.
  const justStarted = useRef<Purchase | null>(null);

  useEffect(() => {
    if (followedId === null) {
      setWatch('stopped');
      return;
    }
    const started = justStarted.current?.id === followedId ? justStarted.current : null;
    justStarted.current = null;
    if (started !== null && started.status !== 'running') {
      setWatch('stopped');
      return;
    }

    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const since = Date.now();
    let delay = schedule.firstDelayMs;
    const later = () => {
      timer = setTimeout(read, delay);
      delay = Math.min(delay * 2, schedule.maxDelayMs);
    };
    // One request at a time: the next read is scheduled only once this one is answered.
    const read = async () => {
      try {
        const latest = await call(
          api.GET('/api/slots/purchases/{id}', { params: { path: { id: followedId } } }),
        );
        if (stopped) return;
        setProblem(null);
        setRecord(latest);
        if (latest.status !== 'running') {
          setWatch('stopped');
          return;
        }
      } catch (error) {
        if (stopped) return;
        const failure = asProblem(error);
        setProblem(failure);
        if (!TRANSIENT_STATUSES.has(failure.status)) {
          setWatch('stopped');
          return;
        }
      }
      if (Date.now() - since >= schedule.giveUpAfterMs) {
        setWatch('still-running');
        return;
      }
      later();
    };

    // A new window each time the effect runs: a new purchase, or the player's "Look again"
    // (`lookedAgain` is in the dependencies for that alone).
    setProblem(null);
    setWatch('following');
    if (started === null) void read();
    else later();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, followedId, schedule, lookedAgain]);

  // Only the followed purchase's record: the address may name another one by now.
  const purchase = record?.id === followedId ? record : null;
  const busy = start.state === 'starting' || watch === 'following';

  const buy = async (titleId: string) => {
    if (busy) return;
    setStart({ state: 'starting', titleId });
    try {
      // Pressing Buy again for the same title after a network error reuses the key: the server
      // answers the purchase it may already have started instead of starting a second one.
      const started = await idempotent(titleId, (key) =>
        call(
          api.POST('/api/slots/purchases', {
            body: { titleId },
            params: { header: { 'Idempotency-Key': key } },
          }),
        ),
      );
      justStarted.current = started;
      setProblem(null);
      setRecord(started);
      setStart({ state: 'idle' });
      // Replace, not push: the address says what the page shows; Back still leaves the shop.
      navigate(purchasePath(started.id), { replace: true });
    } catch (error) {
      const retryable = error instanceof ApiProblem && error.isNetworkError;
      setStart({ state: 'failed', problem: asProblem(error), retryable });
    }
  };

  const lookAgain = useCallback(() => setLookedAgain((n) => n + 1), []);
  return { start, purchase, problem, watch, busy, buy, lookAgain };
}
