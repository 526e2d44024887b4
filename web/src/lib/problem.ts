import type { Schemas } from './api.ts';

export type Problem = Schemas['Problem'];

/** What a failed call turned into: the server's problem+json, or one we make up for the network. */
export class ApiProblem extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiProblem';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
  /** True when no response came back at all, so retrying the very same request makes sense. */
  get isNetworkError(): boolean {
    return this.problem.status === 0;
  }
}

export const networkProblem: Problem = {
  type: 'about:blank',
  title: 'Network error',
  status: 0,
  detail: 'The server could not be reached. Check your connection and try again.',
};

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Turns openapi-fetch's `{ data, error, response }` into "the data, or throw an ApiProblem", so
 * features can write `const spin = await call(api.POST(...))` and handle failures in one place.
 */
export async function call<T>(request: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await request;
  } catch {
    throw new ApiProblem(networkProblem);
  }
  if (result.response.ok && result.data !== undefined) return result.data;
  throw new ApiProblem(toProblem(result.error, result.response));
}

function toProblem(body: unknown, response: Response): Problem {
  if (isProblem(body)) return body;
  // Not problem+json (a proxy's HTML error page, for instance): say what we know.
  return {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
  };
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Problem>;
  return typeof candidate.title === 'string' && typeof candidate.status === 'number';
}

/** Any thrown value as a Problem, for display. */
export function asProblem(error: unknown): Problem {
  if (error instanceof ApiProblem) return error.problem;
  return {
    type: 'about:blank',
    title: 'Something went wrong',
    status: 0,
    detail: error instanceof Error ? error.message : String(error),
  };
}
