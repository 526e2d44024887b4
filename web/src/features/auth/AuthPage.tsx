import { type FormEvent, useId, useState } from 'react';
import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import { asProblem, call, type Problem } from '../../lib/problem.ts';
import { Link, navigate } from '../../lib/router.tsx';
import { useApi, useServices } from '../../lib/services.tsx';

const USERNAME_PATTERN = /^[A-Za-z0-9_]{3,32}$/;

type Mode = 'login' | 'register';

/** Checks the same rules as the contract, so most mistakes are caught before a round trip. */
export function validateCredentials(mode: Mode, username: string, password: string): string[] {
  if (mode === 'login') {
    return username && password ? [] : ['Enter your username and password.'];
  }
  const problems: string[] = [];
  if (!USERNAME_PATTERN.test(username)) {
    problems.push('The username needs 3 to 32 letters, digits or underscores.');
  }
  if (password.length < 8 || password.length > 128) {
    problems.push('The password needs 8 to 128 characters.');
  }
  return problems;
}

/** Log in, or register and then log in: both end with a session and the game page. */
export function AuthPage({ mode, expired = false }: { mode: Mode; expired?: boolean }) {
  const api = useApi();
  const { session } = useServices();
  const usernameId = useId();
  const passwordId = useId();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [hints, setHints] = useState<string[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const found = validateCredentials(mode, username, password);
    setHints(found);
    setProblem(null);
    if (found.length > 0) return;
    setBusy(true);
    try {
      if (mode === 'register') await call(api.POST('/api/users', { body: { username, password } }));
      const created = await call(api.POST('/api/sessions', { body: { username, password } }));
      session.set({ token: created.token, user: created.user });
      navigate('/');
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  const title = mode === 'login' ? 'Log in' : 'Create an account';
  return (
    <section className="panel auth" aria-labelledby="auth-heading">
      <h1 id="auth-heading">{title}</h1>
      {expired ? <p className="notice">Your session has ended. Please log in again.</p> : null}
      <form onSubmit={onSubmit} noValidate className="form">
        <div className="field">
          <label htmlFor={usernameId}>Username</label>
          <input
            id={usernameId}
            name="username"
            autoComplete="username"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            required
          />
          {mode === 'register' ? (
            <p className="field__hint">3–32 letters, digits or underscores.</p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={passwordId}>Password</label>
          <input
            id={passwordId}
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            required
          />
          {mode === 'register' ? <p className="field__hint">At least 8 characters.</p> : null}
        </div>
        {hints.length > 0 ? (
          <ul className="form__errors" role="alert">
            {hints.map((hint) => (
              <li key={hint}>{hint}</li>
            ))}
          </ul>
        ) : null}
        {problem ? <ProblemMessage problem={problem} /> : null}
        <button type="submit" className="button" aria-disabled={busy}>
          {busy ? 'Please wait…' : title}
        </button>
      </form>
      <p className="auth__switch">
        {mode === 'login' ? (
          <>
            New here? <Link href="/register">Create an account</Link>. Demo players: alice, bob and
            carol, password <code>slots-and-forum</code>.
          </>
        ) : (
          <>
            Already registered? <Link href="/login">Log in</Link>.
          </>
        )}
      </p>
    </section>
  );
}
