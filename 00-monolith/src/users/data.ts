import type { AuthUser } from '@course/service-kit';
import type { Db } from '../db.ts';
import { isUniqueViolation } from '../prisma-errors.ts';
import type { StoredUser, UsersStore } from './store.ts';

export type { StoredUser } from './store.ts';

/** Inserts a user; returns null when the username is taken (also when two registrations race). */
export async function insertUser(
  db: Db,
  user: { username: string; passwordHash: string },
): Promise<AuthUser | null> {
  try {
    return await db.user.create({ data: user, select: { id: true, username: true } });
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

export async function findUserByUsername(db: Db, username: string): Promise<StoredUser | null> {
  return db.user.findUnique({
    where: { username },
    select: { id: true, username: true, passwordHash: true },
  });
}

/** The users store over the monolith's database. */
export function monolithUsersStore(db: Db): UsersStore {
  return {
    insertUser: (user) => insertUser(db, user),
    findUserByUsername: (username) => findUserByUsername(db, username),
  };
}
