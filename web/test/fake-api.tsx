import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { expect } from 'vitest';
import type { Schemas } from '../src/lib/api.ts';
import { createApiClient } from '../src/lib/api.ts';
import { type Services, ServicesProvider } from '../src/lib/services.tsx';
import { createSessionStore } from '../src/lib/session.ts';
import { createTraceStore } from '../src/lib/trace.ts';

/** A fetch test double: answers by "METHOD /path" and remembers every request it saw. */
export type Handler = (request: Request) => Response | Promise<Response>;

export function json(status: number, body: unknown, type = 'application/json'): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': type,
      'X-Served-By': 'monolith@00 (process)',
      'X-Request-Id': `req-${Math.random().toString(36).slice(2)}`,
    },
  });
}

export function problem(status: number, title: string, detail?: string, type = 'about:blank') {
  return json(
    status,
    { type, title, status, ...(detail ? { detail } : {}) },
    'application/problem+json',
  );
}

export function fakeFetch(routes: Record<string, Handler>) {
  const requests: Request[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    requests.push(request.clone());
    const url = new URL(request.url);
    const handler = routes[`${request.method} ${url.pathname}`];
    if (handler === undefined) return problem(404, 'Not Found');
    return handler(request);
  };
  return { fetch, requests };
}

/**
 * Checks that exactly two POSTs were sent and that the second (a retry after a network error)
 * carried the first one's Idempotency-Key, a valid one.
 */
export function expectRetriedWithTheSameKey(requests: Request[]): void {
  const keys = requests
    .filter((request) => request.method === 'POST')
    .map((request) => request.headers.get('Idempotency-Key'));
  expect(keys).toHaveLength(2);
  expect(keys[0]).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/);
  expect(keys[1]).toBe(keys[0]);
}

export const machine: Schemas['Machine'] = {
  symbols: [
    { id: 'cherry', name: 'Cherry' },
    { id: 'bell', name: 'Bell' },
    { id: 'puppy', name: 'Puppy' },
    { id: 'robot', name: 'Robot' },
    { id: 'star', name: 'Star' },
    { id: 'seven', name: 'Seven' },
  ],
  reels: [
    ['cherry', 'bell', 'puppy', 'robot', 'star', 'seven'],
    ['bell', 'puppy', 'robot', 'star', 'seven', 'cherry'],
    ['puppy', 'robot', 'star', 'seven', 'cherry', 'bell'],
  ],
  paytable: [{ pattern: ['seven', 'seven', 'seven'], multiplier: 100, label: 'Three sevens' }],
  minBet: 1,
  maxBet: 100,
  startingBalance: 1000,
  rtp: 0.9487,
  rtpExact: '37/39',
};

export function spin(overrides: Partial<Schemas['Spin']> = {}): Schemas['Spin'] {
  return {
    id: crypto.randomUUID(),
    bet: 10,
    payout: 0,
    reels: ['robot', 'star', 'bell'],
    balance: 990,
    createdAt: '2026-11-22T10:00:00.000Z',
    ...overrides,
  };
}

/** Renders `ui` with real stores and the real typed client over a fetch test double. */
export function renderWithApi(
  ui: ReactNode,
  fetch: (request: Request) => Promise<Response>,
  { loggedIn = true } = {},
) {
  const session = createSessionStore(window.sessionStorage);
  if (loggedIn) {
    session.set({ token: 'a.b.c', user: { id: crypto.randomUUID(), username: 'alice' } });
  }
  const trace = createTraceStore();
  const unauthorized: string[] = [];
  const api = createApiClient({
    baseUrl: 'http://localhost',
    session,
    trace,
    fetch,
    onUnauthorized: () => unauthorized.push('login'),
  });
  const services: Services = { api, session, trace };
  const view = render(<ServicesProvider services={services}>{ui}</ServicesProvider>);
  return { ...view, services, unauthorized };
}
