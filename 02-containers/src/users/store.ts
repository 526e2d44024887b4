import { isUniqueViolation, type UsersStore } from '@course/monolith/users';
import type { UsersDatabase } from './db.ts';

/** The users store over the service's own database: the monolith's queries, on a new home. */
export function usersServiceStore(db: UsersDatabase): UsersStore {
  return {
    async insertUser(user) {
      try {
        return await db.user.create({ data: user, select: { id: true, username: true } });
      } catch (err) {
        if (isUniqueViolation(err)) return null;
        throw err;
      }
    },
    findUserByUsername: (username) =>
      db.user.findUnique({
        where: { username },
        select: { id: true, username: true, passwordHash: true },
      }),
  };
}
