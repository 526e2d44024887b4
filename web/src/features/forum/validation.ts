/** The contract's limits for forum text, checked before sending (the server checks them again). */
export const TITLE_MAX = 120;
export const BODY_MAX = 5000;

export interface FieldErrors {
  title?: string;
  body?: string;
}

export function validateTitle(title: string): string | undefined {
  const trimmed = title.trim();
  if (trimmed.length === 0) return 'Give your thread a title.';
  if (trimmed.length > TITLE_MAX) return `The title can have at most ${TITLE_MAX} characters.`;
  return undefined;
}

export function validateBody(body: string): string | undefined {
  if (body.trim().length === 0) return 'Write something first.';
  if (body.length > BODY_MAX) return `A post can have at most ${BODY_MAX} characters.`;
  return undefined;
}
