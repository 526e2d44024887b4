import { createApiClient } from '../lib/api.ts';
import { env } from '../lib/env.ts';
import { navigate } from '../lib/router.tsx';
import type { Services } from '../lib/services.tsx';
import { createSessionStore } from '../lib/session.ts';
import { createTraceStore } from '../lib/trace.ts';

/** Wires the real browser pieces together once, at start-up. */
export function createServices(): Services {
  const session = createSessionStore(window.sessionStorage);
  const trace = createTraceStore();
  const api = createApiClient({
    baseUrl: env.apiBaseUrl,
    session,
    trace,
    onUnauthorized: () => navigate('/login?expired', { replace: true }),
  });
  return { api, session, trace };
}
