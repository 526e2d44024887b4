import { Prisma } from './generated/prisma/client.ts';

/** True when an insert lost a race (or a retry) against a unique constraint. */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
