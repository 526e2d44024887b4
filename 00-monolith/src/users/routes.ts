import {
  type AuthUser,
  clientKey,
  currentUser,
  exactRouter,
  HttpError,
  hashPassword,
  LoginThrottle,
  parseBody,
  problems,
  requireAuth,
  type TokenIssuer,
  type TokenVerifier,
  verifyPassword,
} from '@course/service-kit';
import type { Request, Response, Router } from 'express';
import { credentialsSchema, registrationSchema } from './domain.ts';
import type { UsersStore } from './store.ts';

export interface UsersDeps {
  store: UsersStore;
  issuer: TokenIssuer;
  verifier: TokenVerifier;
  /** Counts failed log-ins per account and per client address; the default policy if not given. */
  loginThrottle?: LoginThrottle;
}

function usernameTaken(username: string): HttpError {
  return problems.conflict(
    '/problems/username-taken',
    'Username taken',
    `"${username}" is already registered.`,
  );
}

function invalidCredentials(): HttpError {
  return new HttpError(401, {
    type: '/problems/invalid-credentials',
    title: 'Invalid credentials',
    detail: 'Unknown username or wrong password.',
  });
}

export function usersRoutes({
  store,
  issuer,
  verifier,
  loginThrottle = new LoginThrottle(),
}: UsersDeps): Router {
  // Comparing against a real hash when the user does not exist keeps login time the same
  // for unknown usernames, so response times do not reveal who is registered.
  const decoyHash = hashPassword('decoy password that never matches');

  async function register(req: Request, res: Response) {
    const { username, password } = parseBody(registrationSchema, req.body);
    const user = await store.insertUser({ username, passwordHash: await hashPassword(password) });
    if (!user) throw usernameTaken(username);
    res.status(201).location('/api/me').json(user);
  }

  /** The user when the password is theirs; undefined for a wrong password or an unknown user. */
  async function checkPassword(username: string, password: string): Promise<AuthUser | undefined> {
    const stored = await store.findUserByUsername(username);
    const matches = await verifyPassword(password, stored?.passwordHash ?? (await decoyHash));
    return stored && matches ? { id: stored.id, username: stored.username } : undefined;
  }

  async function logIn(req: Request, res: Response) {
    const { username, password } = parseBody(credentialsSchema, req.body);
    // Keyed on the username exactly as the store looks it up (case-sensitive), registered or
    // not, so a 429 tells nothing about who is registered; admitted before the password is
    // checked, so a guess that must wait costs no hash.
    const attempt = loginThrottle.admit(username, clientKey(req));
    let user: AuthUser | undefined;
    try {
      user = await checkPassword(username, password);
    } catch (err) {
      attempt.abandoned(); // e.g. the database is down: that was no guess
      throw err;
    }
    if (!user) throw invalidCredentials(); // the failure admit() counted stands
    attempt.succeeded();
    res.json({ token: await issuer.issue(user), user });
  }

  function me(_req: Request, res: Response) {
    res.json(currentUser(res));
  }

  return exactRouter()
    .post('/api/users', register)
    .post('/api/sessions', logIn)
    .get('/api/me', requireAuth(verifier), me);
}
