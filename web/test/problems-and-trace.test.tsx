import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ProblemMessage } from '../src/lib/ProblemMessage.tsx';
import { ApiProblem, call } from '../src/lib/problem.ts';
import { fakeFetch, json, problem, renderWithApi } from './fake-api.tsx';

describe('the problem display', () => {
  it('shows the title, the detail and each field error as plain text', () => {
    render(
      <ProblemMessage
        problem={{
          type: '/problems/validation',
          title: 'Validation failed',
          status: 422,
          detail: 'Check <b>the</b> form.',
          errors: [{ path: 'password', message: 'Too short (at least 8 characters).' }],
        }}
      />,
    );

    expect(screen.getByRole('alert')).toHaveTextContent('Validation failed');
    expect(screen.getByText('Check <b>the</b> form.')).toBeInTheDocument();
    expect(screen.getByText('Too short (at least 8 characters).')).toBeInTheDocument();
  });
});

describe('the API client', () => {
  it('turns a problem+json answer into an ApiProblem carrying it', async () => {
    const { fetch } = fakeFetch({
      'POST /api/users': () =>
        problem(409, 'Username taken', 'The username alice is already registered.'),
    });
    const { services } = renderWithApi(null, fetch, { loggedIn: false });

    const failure = call(
      services.api.POST('/api/users', { body: { username: 'alice', password: 'long-enough' } }),
    );

    await expect(failure).rejects.toBeInstanceOf(ApiProblem);
    await expect(failure).rejects.toMatchObject({
      problem: { title: 'Username taken', detail: 'The username alice is already registered.' },
    });
  });

  it('records method, path, status and X-Served-By of every call', async () => {
    const { fetch } = fakeFetch({ 'GET /api/slots/wallet': () => json(200, { balance: 5 }) });
    const { services } = renderWithApi(null, fetch);

    await call(services.api.GET('/api/slots/wallet'));

    const [traced] = services.trace.get();
    expect(traced).toMatchObject({
      method: 'GET',
      path: '/api/slots/wallet',
      status: 200,
      servedBy: 'monolith@00 (process)',
    });
    expect(traced?.requestId).toMatch(/^req-/);
    expect(traced?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('forgets the session and asks for a log-in when an authenticated call gets a 401', async () => {
    const { fetch } = fakeFetch({ 'GET /api/me': () => problem(401, 'Unauthorized') });
    const { services, unauthorized } = renderWithApi(null, fetch);

    await expect(call(services.api.GET('/api/me'))).rejects.toBeInstanceOf(ApiProblem);

    expect(services.session.get()).toBeNull();
    expect(window.sessionStorage.length).toBe(0);
    expect(unauthorized).toEqual(['login']);
  });
});
