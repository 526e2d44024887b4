import { serve } from '@course/containers/serve';
import { loadConfig } from './config.ts';
import { forumService } from './service.ts';

// The forum service's entrypoint, the same for the local runner and ECS.
await serve({ service: 'forum', loadConfig, start: forumService });
