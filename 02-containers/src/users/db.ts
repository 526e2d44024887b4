import { PrismaClient } from '../generated/users/client.ts';
import { pgAdapter } from '../service.ts';

export type UsersDatabase = PrismaClient;

/** The users database: accounts only. */
export function createUsersDb(databaseUrl: string, poolMax = 10): UsersDatabase {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, poolMax) });
}
