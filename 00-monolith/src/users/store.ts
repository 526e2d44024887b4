import type { AuthUser } from '@course/service-kit';

/** A user as stored: the public fields plus the password hash, which never leaves the service. */
export interface StoredUser extends AuthUser {
  passwordHash: string;
}

/**
 * Everything the users routes need from storage. The monolith implements it over its one
 * database (data.ts); stage 02's users service implements it over a database of its own and
 * reuses the routes unchanged, as stage 01 did for slots with SlotsStore.
 */
export interface UsersStore {
  /** Inserts a user; null when the username is taken (also when two registrations race). */
  insertUser(user: { username: string; passwordHash: string }): Promise<AuthUser | null>;
  findUserByUsername(username: string): Promise<StoredUser | null>;
}
