import { useCallback, useRef } from 'react';
import { ApiProblem } from './problem.ts';

interface PendingRequest {
  /** What the request asks for (a bet, a title): a retry must ask for the same thing. */
  intent: string;
  key: string;
}

const randomKey = () => crypto.randomUUID();

/**
 * Sends a request with an `Idempotency-Key`. When a request fails with a network error we cannot
 * know whether the server acted on it, so the next attempt with the same intent reuses the same
 * key: the server then replays its first answer instead of acting twice. Any answered request
 * (success or problem) is final, and the next attempt gets a fresh key.
 *
 * `send(key)` makes the call; `intent` names what it asks for, e.g. the bet or the title id.
 */
export function useIdempotentRequest(newKey: () => string = randomKey) {
  const pending = useRef<PendingRequest | null>(null);

  return useCallback(
    async <T>(intent: string, send: (key: string) => Promise<T>): Promise<T> => {
      const previous = pending.current;
      const attempt = previous?.intent === intent ? previous : { intent, key: newKey() };
      pending.current = attempt;
      try {
        const answer = await send(attempt.key);
        pending.current = null;
        return answer;
      } catch (error) {
        // Only an unanswered request is worth retrying with the same key; an answered one is final.
        if (!(error instanceof ApiProblem && error.isNetworkError)) pending.current = null;
        throw error;
      }
    },
    [newKey],
  );
}
