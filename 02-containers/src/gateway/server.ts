import { serve } from '../serve.ts';
import { createGateway } from './app.ts';
import { loadConfig } from './config.ts';

// The gateway's entrypoint, the same for the local runner and compose.
await serve({
  service: 'gateway',
  loadConfig,
  start: (config, log) => createGateway({ config, log }),
});
