import { useCallback } from 'react';
import type { ApiClient, Schemas } from '../../lib/api.ts';
import { useIdempotentRequest } from '../../lib/idempotency.ts';
import { call } from '../../lib/problem.ts';

/**
 * Sends spins with an Idempotency-Key. Pressing Spin again at the same bet after a network error
 * reuses the key, so the server replays the original spin instead of charging the player twice.
 */
export function useSpin(api: ApiClient, newKey?: () => string) {
  const idempotent = useIdempotentRequest(newKey);

  return useCallback(
    (bet: number): Promise<Schemas['Spin']> =>
      idempotent(String(bet), (key) =>
        call(
          api.POST('/api/slots/spins', {
            body: { bet },
            params: { header: { 'Idempotency-Key': key } },
          }),
        ),
      ),
    [api, idempotent],
  );
}
