import {
  currentUser,
  exactRouter,
  HttpError,
  hashPassword,
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

export function usersRoutes({ store, issuer, verifier }: UsersDeps): Router {
  // Comparing against a real hash when the user does not exist keeps login time the same
  // for unknown usernames, so response times do not reveal who is registered.
  const decoyHash = hashPassword('decoy password that never matches');

  async function register(req: Request, res: Response) {
    const { username, password } = parseBody(registrationSchema, req.body);
    const user = await store.insertUser({ username, passwordHash: await hashPassword(password) });
    if (!user) throw usernameTaken(username);
    res.status(201).location('/api/me').json(user);
  }

  async function logIn(req: Request, res: Response) {
    const { username, password } = parseBody(credentialsSchema, req.body);
    const stored = await store.findUserByUsername(username);
    const matches = await verifyPassword(password, stored?.passwordHash ?? (await decoyHash));
    if (!stored || !matches) throw invalidCredentials();
    const user = { id: stored.id, username: stored.username };
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
