import type { ProblemFieldError } from './errors.ts';

/**
 * A 32 KiB body can hold thousands of bad strings; listing a few is enough to fix the request,
 * and keeps the answer small.
 */
const MAX_ERRORS = 10;

/**
 * What in a string cannot be stored as sent, or null when all of it can. A JSON string can hold
 * two things a PostgreSQL `text` column cannot: U+0000, which PostgreSQL refuses (the insert
 * fails), and a lone UTF-16 surrogate such as "\ud800", which is not Unicode text at all, so
 * encoding it as UTF-8 silently turns it into U+FFFD: the data changes and nobody is told.
 * Every other character, emoji and other astral characters included, is stored unchanged.
 */
function unstorableCharacter(text: string): string | null {
  if (text.includes('\u0000')) return 'U+0000 (NUL)';
  if (!text.isWellFormed()) {
    return 'an unpaired UTF-16 surrogate (a \\uD800-\\uDFFF escape without its partner)';
  }
  return null;
}

/**
 * Every string and object key in a parsed JSON value (a request body, a query object) that a
 * database could not store as sent, as field errors with zod-style paths ("title", "a.0.b"; ""
 * is the value as a whole). A bad key is reported at the path of the object that holds it.
 * Plain data in, plain data out: the Express middleware and any other adapter call the same
 * function. At most MAX_ERRORS are listed.
 */
export function unstorableTextErrors(value: unknown): ProblemFieldError[] {
  const errors: ProblemFieldError[] = [];
  // An explicit stack rather than recursion: a body under the size limit can nest thousands of
  // levels deep. Children are pushed in reverse so errors come out in document order.
  const pending: { value: unknown; path: string }[] = [{ value, path: '' }];
  for (let next = pending.pop(); next && errors.length < MAX_ERRORS; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value === 'string') {
      const character = unstorableCharacter(value);
      if (character) errors.push({ path, message: `Must not contain ${character}.` });
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (const [key] of entries) {
        const character = unstorableCharacter(key);
        if (character)
          errors.push({ path, message: `A property name must not contain ${character}.` });
      }
      for (const [key, child] of entries.reverse()) {
        pending.push({ value: child, path: path === '' ? key : `${path}.${key}` });
      }
    }
  }
  return errors.slice(0, MAX_ERRORS);
}
