import { useCallback, useEffect, useState } from 'react';
import type { ApiClient, Schemas } from '../../lib/api.ts';
import { useIdempotentRequest } from '../../lib/idempotency.ts';
import { ApiProblem, asProblem, call, type Problem } from '../../lib/problem.ts';

export type Purchase = Schemas['Purchase'];

/** How often the page asks for the purchase's record while its saga runs. */
export const POLL_INTERVAL_MS = 500;

/** Statuses worth asking again for: the record is still there, the answer just did not come. */
const TRANSIENT_STATUSES = new Set([0, 429, 502, 503, 504]);

export type Start =
  | { state: 'idle' }
  | { state: 'starting'; titleId: string }
  | { state: 'failed'; problem: Problem; retryable: boolean };

export interface PurchaseProgress {
  /** Starting a purchase: POST /api/slots/purchases. */
  start: Start;
  /** The purchase being followed, as its record last read; null before the first Buy. */
  purchase: Purchase | null;
  /** The last failed read of the record; polling goes on after a transient one. */
  problem: Problem | null;
  /** True from the Buy click until the saga has ended. */
  busy: boolean;
  buy: (titleId: string) => Promise<void>;
  /** Follows the purchase again after polling stopped on a problem. */
  resume: () => void;
}

/**
 * Starts a purchase and follows its saga. The answer to POST comes at once (202): the steps run
 * afterwards, and each step writes its attempts into the purchase's record, so the page reads
 * GET /api/slots/purchases/{id} every `pollIntervalMs` until the status is no longer `running`,
 * and stops when the page goes away.
 */
export function usePurchase(api: ApiClient, pollIntervalMs = POLL_INTERVAL_MS): PurchaseProgress {
  const idempotent = useIdempotentRequest();
  const [start, setStart] = useState<Start>({ state: 'idle' });
  const [purchase, setPurchase] = useState<Purchase | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [resumed, setResumed] = useState(0);
  const runningId = purchase?.status === 'running' ? purchase.id : null;

  useEffect(() => {
    if (runningId === null) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // One request at a time: the next read is scheduled only once this one is answered.
    const poll = async () => {
      try {
        const latest = await call(
          api.GET('/api/slots/purchases/{id}', { params: { path: { id: runningId } } }),
        );
        if (stopped) return;
        setProblem(null);
        setPurchase(latest);
        if (latest.status !== 'running') return;
      } catch (error) {
        if (stopped) return;
        const failure = asProblem(error);
        setProblem(failure);
        if (!TRANSIENT_STATUSES.has(failure.status)) return;
      }
      timer = setTimeout(poll, pollIntervalMs);
    };
    timer = setTimeout(poll, pollIntervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, runningId, pollIntervalMs, resumed]);

  const busy = start.state === 'starting' || runningId !== null;

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
      setProblem(null);
      setPurchase(started);
      setStart({ state: 'idle' });
    } catch (error) {
      const retryable = error instanceof ApiProblem && error.isNetworkError;
      setStart({ state: 'failed', problem: asProblem(error), retryable });
    }
  };

  const resume = useCallback(() => setResumed((n) => n + 1), []);
  return { start, purchase, problem, busy, buy, resume };
}
