import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StageDefinition } from './stage.ts';
import { workspaceRoot } from './workspace.ts';

/** "00", "0", "00-monolith" or "monolith" -> <repo>/00-monolith; or a folder path with a stage.ts. */
export function findStageFolder(requested: string): string {
  // pnpm runs scripts from the repository root; INIT_CWD is where the command was typed.
  const asPath = resolve(process.env.INIT_CWD ?? process.cwd(), requested);
  if (existsSync(join(asPath, 'stage.ts'))) return asPath;
  const stages = readdirSync(workspaceRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d\d-/.test(entry.name))
    .filter((entry) => existsSync(join(workspaceRoot, entry.name, 'stage.ts')))
    .map((entry) => entry.name)
    .sort();
  const wanted = /^\d$/.test(requested) ? `0${requested}` : requested;
  const match = stages.find(
    (name) => name === wanted || name.startsWith(`${wanted}-`) || name.slice(3) === wanted,
  );
  if (match === undefined) {
    throw new Error(
      `Unknown stage "${requested}". Available: ${stages.join(', ') || 'none'} (e.g. pnpm start 00).`,
    );
  }
  return join(workspaceRoot, match);
}

export async function loadStageDefinition(folder: string): Promise<StageDefinition> {
  const file = join(folder, 'stage.ts');
  const module: { default?: StageDefinition } = await import(pathToFileURL(file).href);
  const definition = module.default;
  if (definition === undefined || !Array.isArray(definition.processes)) {
    throw new Error(`${file} must default-export a StageDefinition`);
  }
  return definition;
}
