import { SQSClient } from '@aws-sdk/client-sqs';
import { serve } from '@course/containers/serve';
import { forumService } from '@course/serverless/forum/service';
import { loadConfig } from './config.ts';
import { createAnnouncementsDb } from './db.ts';
import { pollJackpots } from './jackpot-poller.ts';

// Stage 03's forum service, plus a consumer running beside its HTTP server: the jackpot poller,
// which turns big wins into forum posts. Readiness stays the forum's database only: a queue
// that cannot be reached delays announcements, it does not make the forum unready.
await serve({
  service: 'forum',
  loadConfig,
  start(config, log) {
    const forum = forumService(config, log);
    const db = createAnnouncementsDb(config.DATABASE_URL);
    const sqs = new SQSClient({});
    const stop = new AbortController();
    const polling = pollJackpots({
      sqs,
      queueUrl: config.JACKPOT_QUEUE_URL,
      db,
      log: log.child({ component: 'jackpot-poller' }),
      signal: stop.signal,
    });
    return {
      app: forum.app,
      // After the HTTP server has drained: stop polling (a batch in hand is finished first).
      async close() {
        stop.abort();
        await polling;
        sqs.destroy();
        await Promise.all([db.$disconnect(), forum.close()]);
      },
    };
  },
});
