import { SQSClient } from '@aws-sdk/client-sqs';
import { serve } from '@course/containers/serve';
import { forumService } from '@course/serverless/forum/service';
import { loadConfig } from './config.ts';
import { createAsyncForumDb } from './db.ts';
import { pollJackpots } from './jackpot-poller.ts';
import { titlesExtension } from './titles-extension.ts';

// Stage 03's forum service, plus what stage 04 adds to it: authors' titles on posts and the
// internal routes the purchase saga grants and cancels them through (both over stage 04's own
// client of the forum database), and a consumer running beside its HTTP server: the jackpot
// poller, which turns big wins into forum posts. Readiness stays the forum's database only: a
// queue that cannot be reached delays announcements, it does not make the forum unready.
await serve({
  service: 'forum',
  loadConfig,
  start(config, log) {
    // Shared by the poller, the title grants and one title lookup per thread page.
    const db = createAsyncForumDb(config.DATABASE_URL, 4);
    const forum = forumService(config, log, titlesExtension(db));
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
