import { useState } from 'react';
import { asProblem, type Problem } from '../../lib/problem.ts';

/**
 * The state of a "Load more" button: whether a page is on its way, and why the last one failed
 * (shown next to the button, while the pages already loaded stay on screen).
 */
export function useLoadMore() {
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const run = async (loadPage: () => Promise<void>) => {
    setLoading(true);
    setProblem(null);
    try {
      await loadPage();
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setLoading(false);
    }
  };

  return { loading, problem, run };
}
