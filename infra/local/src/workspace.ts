import { join, resolve } from 'node:path';

/**
 * The repository root, found from this file's location (infra/local/src) rather than the current
 * directory, so that `pnpm start` works from any folder.
 */
export const workspaceRoot = resolve(import.meta.dirname, '..', '..', '..');

/** Binaries installed for the whole workspace (tsx, prisma, ...). */
export const workspaceBinDir = join(workspaceRoot, 'node_modules', '.bin');
