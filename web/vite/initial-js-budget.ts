import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** The most JavaScript a first visit may download, gzip-compressed. */
export const INITIAL_JS_BUDGET_BYTES = 150 * 1024;

interface ChunkLike {
  type: 'chunk';
  fileName: string;
  code: string;
  isEntry: boolean;
  imports: string[];
}

/**
 * Prints the gzip size of the JavaScript a first visit needs (the entry chunk and everything it
 * imports statically; lazy routes are excluded) and fails the build when it is over budget.
 */
export function initialJsBudget(budgetBytes = INITIAL_JS_BUDGET_BYTES): Plugin {
  return {
    name: 'course:initial-js-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = new Map<string, ChunkLike>();
      for (const output of Object.values(bundle)) {
        if (output.type === 'chunk') chunks.set(output.fileName, output);
      }
      const initial = collectInitial(chunks);
      const bytes = initial.reduce((sum, chunk) => sum + gzipSync(chunk.code).length, 0);
      const line = `initial JS: ${(bytes / 1024).toFixed(1)} kB gzip in ${initial.length} file(s) (budget ${(budgetBytes / 1024).toFixed(0)} kB)`;
      process.stdout.write(`\n${line}\n`);
      if (bytes > budgetBytes) this.error(`The initial JS is over budget: ${line}`);
    },
  };
}

function collectInitial(chunks: Map<string, ChunkLike>): ChunkLike[] {
  const seen = new Set<string>();
  const visit = (fileName: string) => {
    if (seen.has(fileName)) return;
    seen.add(fileName);
    for (const imported of chunks.get(fileName)?.imports ?? []) visit(imported);
  };
  for (const chunk of chunks.values()) if (chunk.isEntry) visit(chunk.fileName);
  return [...seen].flatMap((fileName) => chunks.get(fileName) ?? []);
}
