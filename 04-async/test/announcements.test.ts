import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  announceBigWin,
  announcementText,
  BIG_WINS_THREAD,
  SYSTEM_AUTHOR,
} from '../src/forum/announcements.ts';
import { forumDatabaseForThisFile, spinSettled } from './fixtures.ts';

const prismaDir = new URL('../prisma/forum/', import.meta.url);

const database = forumDatabaseForThisFile();

const postsOf = (eventId: string) =>
  database.db.post.findMany({ where: { announcement: { eventId } }, select: { body: true } });

describe('announceBigWin', () => {
  it('writes one post by the system author in the Big wins thread, naming the player, the line, the multiple and the payout', async () => {
    const event = spinSettled({ username: 'carol', bet: 5, payout: 500, line: 'Three sevens' });

    const result = await announceBigWin(database.db, event);

    expect(result).toBe('announced');
    const posts = await database.db.post.findMany({
      where: { announcement: { eventId: event.id } },
      include: { thread: true },
    });
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({
      threadId: BIG_WINS_THREAD.id,
      authorId: SYSTEM_AUTHOR.id,
      authorName: SYSTEM_AUTHOR.username,
      thread: { title: 'Big wins' },
    });
    expect(posts[0]?.body).toBe(announcementText(event));
    expect(posts[0]?.body).toMatch(/carol.*Three sevens.*500 credits.*100 × the bet of 5/);
  });

  it('writes nothing the second time the same event arrives, and reports success', async () => {
    const event = spinSettled();
    await announceBigWin(database.db, event);

    const again = await announceBigWin(database.db, event);

    expect(again).toBe('already announced');
    expect(await postsOf(event.id)).toHaveLength(1);
  });

  it('writes exactly one post when the same event is delivered many times at once', async () => {
    const event = spinSettled();

    const results = await Promise.all(
      Array.from({ length: 8 }, () => announceBigWin(database.db, event)),
    );

    expect(results.filter((result) => result === 'announced')).toHaveLength(1);
    expect(results.filter((result) => result === 'already announced')).toHaveLength(7);
    expect(await postsOf(event.id)).toHaveLength(1);
  });

  it('keeps one Big wins thread when different big wins are announced at once', async () => {
    const events = Array.from({ length: 8 }, () => spinSettled());

    const results = await Promise.all(events.map((event) => announceBigWin(database.db, event)));

    expect(results).toEqual(events.map(() => 'announced'));
    expect(await database.db.thread.count({ where: { title: BIG_WINS_THREAD.title } })).toBe(1);
    for (const event of events) expect(await postsOf(event.id)).toHaveLength(1);
  });
});

describe("the forum's migrations", () => {
  it("begin with stage 02's init migration, byte for byte", () => {
    const init = '20261122074300_init/migration.sql';
    const stage02 = new URL(`../../02-containers/prisma/forum/migrations/${init}`, import.meta.url);

    const ours = readFileSync(new URL(`migrations/${init}`, prismaDir));

    expect(ours.equals(readFileSync(stage02))).toBe(true);
  });
});
