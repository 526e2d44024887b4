import { parseConfig, serviceConfigSchema } from '@course/service-kit';
import { z } from 'zod';

const facadeConfigSchema = serviceConfigSchema.extend({
  // Where the route table's targets listen. Locally the runner picks the ports.
  MONOLITH_URL: z.url({ protocol: /^https?$/ }),
  SLOTS_URL: z.url({ protocol: /^https?$/ }),
});

export type FacadeConfig = z.infer<typeof facadeConfigSchema>;

/** Parses the environment once; throws a ConfigError that lists every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): FacadeConfig {
  return parseConfig(facadeConfigSchema, env);
}
