import * as z from 'zod/mini';

/**
 * Build-time settings, parsed once. Vite inlines `import.meta.env.VITE_*` when it builds, so the
 * values are fixed per build. Leaving VITE_API_URL unset keeps every call relative (`/api/...`),
 * which is what lets the very same build be served by every stage of the course.
 */
const EnvSchema = z.object({
  VITE_API_URL: z.optional(z.url()),
});

export interface Env {
  /** Prepended to every API path; '' means "same origin as the page". */
  apiBaseUrl: string;
}

export function parseEnv(raw: Record<string, unknown>): Env {
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid build settings: ${z.prettifyError(parsed.error)}`);
  }
  return { apiBaseUrl: (parsed.data.VITE_API_URL ?? '').replace(/\/+$/, '') };
}

export const env: Env = parseEnv(import.meta.env);
