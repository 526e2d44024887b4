/**
 * Prisma's known request errors by their code. Checked by name rather than `instanceof`, because
 * each generated client has its own error class and stage 01's slots service shares this code.
 */
function hasCode(err: unknown, code: string): boolean {
  return (
    err instanceof Error &&
    err.name === 'PrismaClientKnownRequestError' &&
    'code' in err &&
    err.code === code
  );
}

/** True when an insert lost a race (or a retry) against a unique constraint. */
export function isUniqueViolation(err: unknown): boolean {
  return hasCode(err, 'P2002');
}

/** True when a row refers to one that does not exist (e.g. a token for a deleted user). */
export function isForeignKeyViolation(err: unknown): boolean {
  return hasCode(err, 'P2003');
}
