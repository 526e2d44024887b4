// Writes events.schema.json from the zod schemas (the test `events.test.ts` fails when stale).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventsJsonSchema } from './index.ts';

const target = fileURLToPath(new URL('../../events.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(eventsJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
