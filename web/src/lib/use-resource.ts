import { type DependencyList, useCallback, useEffect, useState } from 'react';
import { asProblem, type Problem } from './problem.ts';

export type Resource<T> =
  | { state: 'loading' }
  | { state: 'failed'; problem: Problem }
  | { state: 'ready'; data: T };

/**
 * Loads data for one component and keeps its loading / failed / ready state, so each feature
 * shows its own spinner and its own error: a failing slots service leaves the forum usable.
 */
export function useResource<T>(
  load: () => Promise<T>,
  deps: DependencyList,
): [Resource<T>, { reload: () => void; set: (data: T) => void }] {
  const [resource, setResource] = useState<Resource<T>>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true; // ignore answers that arrive after the inputs changed
    setResource({ state: 'loading' });
    load().then(
      (data) => current && setResource({ state: 'ready', data }),
      (error: unknown) => current && setResource({ state: 'failed', problem: asProblem(error) }),
    );
    return () => {
      current = false;
    };
  }, [...deps, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  const set = useCallback((data: T) => setResource({ state: 'ready', data }), []);
  return [resource, { reload, set }];
}
