import { useCallback, useRef } from 'react';
import type { ApiClient, Schemas } from '../../lib/api.ts';
import { ApiProblem, call } from '../../lib/problem.ts';

interface PendingSpin {
  bet: number;
  key: string;
}

const randomKey = () => crypto.randomUUID();

/**
 * Sends spins with an Idempotency-Key. When a spin fails with a network error we cannot know
 * whether the server took the bet, so the next attempt at the same bet reuses the same key: the
 * server then replays the original spin instead of charging the player twice.
 */
export function useSpin(api: ApiClient, newKey: () => string = randomKey) {
  const pending = useRef<PendingSpin | null>(null);

  return useCallback(
    async (bet: number): Promise<Schemas['Spin']> => {
      const previous = pending.current;
      const attempt = previous?.bet === bet ? previous : { bet, key: newKey() };
      pending.current = attempt;
      try {
        const spin = await call(
          api.POST('/api/slots/spins', {
            body: { bet },
            params: { header: { 'Idempotency-Key': attempt.key } },
          }),
        );
        pending.current = null;
        return spin;
      } catch (error) {
        // Only an unanswered request is worth retrying with the same key; an answered one is final.
        if (!(error instanceof ApiProblem && error.isNetworkError)) pending.current = null;
        throw error;
      }
    },
    [api, newKey],
  );
}
