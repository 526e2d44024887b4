import { payoutMultiple, type SpinSettled } from '@course/contract/events';
import { isUniqueViolation } from '@course/monolith/users';
import type { AsyncForumDatabase } from './db.ts';

/**
 * The author of announcements: not a player, so no account in the users service. Its id is
 * fixed (any other service can recognise it) and its name is a valid username of the contract,
 * so the front end shows it like any other author.
 */
export const SYSTEM_AUTHOR = {
  id: '5107ac11-0000-4000-8000-000000000001',
  username: 'slot_machine',
};

/** The thread every announcement goes to, created by the first one. */
export const BIG_WINS_THREAD = { id: '5107ac11-0000-4000-8000-000000000002', title: 'Big wins' };

export type AnnounceResult = 'announced' | 'already announced';

/**
 * Writes the forum post announcing a big win, exactly once per event however often it is
 * delivered. One transaction: make sure the "Big wins" thread exists (bumping it to the top of
 * the list), write the post, and record the event id in `announcements`. A second delivery of
 * the same event, even one running at the same moment, fails on that record's key: its whole
 * transaction rolls back, post included, and it reports 'already announced' — success, so the
 * message is deleted.
 */
export async function announceBigWin(
  db: AsyncForumDatabase,
  event: SpinSettled,
): Promise<AnnounceResult> {
  const author = { authorId: SYSTEM_AUTHOR.id, authorName: SYSTEM_AUTHOR.username };
  try {
    await db.$transaction(async (tx) => {
      const now = new Date();
      // One statement (INSERT … ON CONFLICT DO UPDATE): two first announcements at once cannot
      // both try to create the thread.
      await tx.$executeRaw`
        INSERT INTO threads (id, title, author_id, author_name, created_at, last_post_at)
        VALUES (${BIG_WINS_THREAD.id}::uuid, ${BIG_WINS_THREAD.title}, ${author.authorId}::uuid,
                ${author.authorName}, ${now}, ${now})
        ON CONFLICT (id) DO UPDATE SET last_post_at = EXCLUDED.last_post_at`;
      await tx.announcement.create({
        data: {
          eventId: event.id,
          post: {
            create: {
              threadId: BIG_WINS_THREAD.id,
              ...author,
              body: announcementText(event),
              createdAt: now,
            },
          },
        },
      });
    });
    return 'announced';
  } catch (err) {
    // The only unique key this transaction can collide on is the event id: the post's id is new.
    if (isUniqueViolation(err)) return 'already announced';
    throw err;
  }
}

/** The post's text: who won, on which line, how many times the bet, how much. */
export function announcementText({ data }: SpinSettled): string {
  const line = data.line ?? 'a winning line';
  return (
    `${data.username} hit ${line} (${data.reels.join(' · ')}): ${data.payout} credits, ` +
    `${payoutMultiple(data)} × the bet of ${data.bet}.`
  );
}
