import type { components, paths } from '@course/contract/types';
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { SessionStore } from './session.ts';
import type { TraceStore } from './trace.ts';

/** The contract's schemas, e.g. Schemas['Spin']: generated from openapi.yaml, never hand-written. */
export type Schemas = components['schemas'];
export type ApiClient = Client<paths>;

export interface ApiDependencies {
  /** '' for same-origin relative URLs (the default build). */
  baseUrl: string;
  session: SessionStore;
  trace: TraceStore;
  /** Called after a 401 on a call that carried a token: the session is already cleared. */
  onUnauthorized: () => void;
  /** Injected so component tests can use a test double; the browser's fetch otherwise. */
  fetch?: (request: Request) => Promise<Response>;
  now?: () => number;
}

/**
 * The one typed client every feature uses. Paths, parameters, bodies and responses are all
 * checked against the OpenAPI contract at compile time.
 */
export function createApiClient(deps: ApiDependencies): ApiClient {
  const client = createClient<paths>({
    baseUrl: deps.baseUrl,
    // Late-bound so a test double installed after start-up is still used.
    fetch: deps.fetch ?? ((request) => globalThis.fetch(request)),
  });
  client.use(authMiddleware(deps), traceMiddleware(deps));
  return client;
}

/** Adds the bearer token, and forgets it (then asks for a new log-in) when the API rejects it. */
function authMiddleware({ session, onUnauthorized }: ApiDependencies): Middleware {
  return {
    onRequest({ request }) {
      const token = session.get()?.token;
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
    onResponse({ request, response }) {
      // A 401 without a token is just "wrong password" on the login form: not a lost session.
      if (response.status === 401 && request.headers.has('Authorization')) {
        session.clear();
        onUnauthorized();
      }
      return response;
    },
  };
}

/**
 * Records every call for the "Served by" panel. X-Served-By is the thread of the course: the
 * same page shows `monolith@00 (process)` today and the extracted services in later stages.
 */
function traceMiddleware({ trace, now = () => performance.now() }: ApiDependencies): Middleware {
  const startedAt = new Map<string, number>();
  const finish = (id: string, request: Request, response: Response | null) => {
    const started = startedAt.get(id) ?? now();
    startedAt.delete(id);
    const url = new URL(request.url);
    trace.record({
      id,
      method: request.method,
      path: url.pathname + url.search,
      status: response?.status ?? null,
      latencyMs: Math.round(now() - started),
      servedBy: response?.headers.get('X-Served-By') ?? null,
      requestId: response?.headers.get('X-Request-Id') ?? null,
      at: Date.now(),
    });
  };
  return {
    onRequest({ id }) {
      startedAt.set(id, now());
    },
    onResponse({ id, request, response }) {
      finish(id, request, response);
      return response;
    },
    onError({ id, request }) {
      finish(id, request, null);
      // Returning nothing lets openapi-fetch rethrow the original network error.
    },
  };
}
