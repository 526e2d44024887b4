/*
 * What must hold once the pipeline has settled, whatever the deliveries did on the way: each
 * consumer's effect is exactly what the outbox says happened. The outbox is the source of truth
 * here because it is written in the same transaction as the wallets (the outbox tests prove
 * that side); these checks prove the other side, from the outbox to every effect.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createHarness, type Harness } from '@course/contract';
import { type DomainEvent, isBigWin, parseDomainEvent } from '@course/contract/events';
import { expect } from 'vitest';
import { LOGICAL_IDS } from '../cdk/logical-ids.ts';
import { auditKeyOf } from '../src/audit/audit-log.ts';
import { SYSTEM_AUTHOR } from '../src/forum/announcements.ts';
import { type AsyncStageForTests, auditKeys, DEAD_LETTER_QUEUES, queueDepth } from './support.ts';

/** Every event in the outbox, oldest first. */
export async function outboxEvents(stage: AsyncStageForTests): Promise<DomainEvent[]> {
  const rows = await stage.query<{ event: unknown }>(
    'slots',
    'SELECT event FROM outbox ORDER BY position',
  );
  return rows.map((row) => parseDomainEvent(row.event));
}

/**
 * The leaderboard read model equals the wallets: one projection row per wallet, with its balance
 * and the sequence of its newest event, and no other row; the API's leaderboard is the top ten
 * of the wallets.
 */
export async function expectLeaderboardEqualsWallets(stage: AsyncStageForTests): Promise<void> {
  const expected = await stage.query<{ playerId: string; balance: number; sequence: string }>(
    'slots',
    `SELECT w.user_id::text AS "playerId", w.balance, last.sequence::text AS sequence
     FROM wallets w
     LEFT JOIN (SELECT event->'data'->>'playerId' AS player_id, max(position) AS sequence
                FROM outbox GROUP BY 1) last ON last.player_id = w.user_id::text
     ORDER BY w.user_id`,
  );
  const projected = await stage.query<{ playerId: string; balance: number; sequence: string }>(
    'slots',
    `SELECT player_id::text AS "playerId", balance, sequence::text AS sequence
     FROM leaderboard_entries ORDER BY player_id`,
  );
  expect(projected, 'the projection differs from the wallets').toEqual(expected);

  const top = await stage.query<{ userId: string; username: string; balance: number }>(
    'slots',
    `SELECT user_id::text AS "userId", username, balance FROM wallets
     ORDER BY balance DESC, username ASC LIMIT 10`,
  );
  const h: Harness = createHarness(() => stage.url);
  const leaderboard = h.expectStatus(await h.send('getLeaderboard'), 200);
  expect(leaderboard.items).toEqual(top.map((entry, index) => ({ rank: index + 1, ...entry })));
}

/**
 * The audit log holds each event of the outbox exactly once: one object per event id, at the
 * event's key, holding that event; each settled spin once; nothing that is not in the outbox.
 */
export async function expectAuditLogEqualsOutbox(
  stage: AsyncStageForTests,
  events: DomainEvent[],
): Promise<void> {
  const keys = await auditKeys(stage);
  expect([...keys].sort()).toEqual(events.map(auditKeyOf).sort());
  const bucket = stage.context.bucketNames[LOGICAL_IDS.auditBucket];
  const recorded = await Promise.all(
    keys.map(async (key) => {
      const object = await stage.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const event = parseDomainEvent(await object.Body?.transformToString());
      expect(auditKeyOf(event), 'an object holds another event than its key says').toBe(key);
      return event;
    }),
  );
  const spinIds = recorded.flatMap((event) =>
    event.type === 'SpinSettled' ? [event.data.spinId] : [],
  );
  expect(new Set(spinIds).size, 'a spin is in the audit log twice').toBe(spinIds.length);
}

/**
 * The forum holds exactly one post by the system author per big win in the outbox, announced
 * for that event, and no other post by that author.
 */
export async function expectOnePostPerBigWin(
  stage: AsyncStageForTests,
  events: DomainEvent[],
): Promise<void> {
  const posts = await stage.query<{ eventId: string | null }>(
    'forum',
    `SELECT a.event_id::text AS "eventId" FROM posts p
     LEFT JOIN announcements a ON a.post_id = p.id
     WHERE p.author_id = $1::uuid`,
    [SYSTEM_AUTHOR.id],
  );
  const bigWins = events.filter(isBigWin).map((event) => event.id);
  expect(posts.map((post) => post.eventId).sort()).toEqual([...bigWins].sort());
}

export async function expectDeadLetterQueuesEmpty(stage: AsyncStageForTests): Promise<void> {
  for (const id of Object.values(DEAD_LETTER_QUEUES)) {
    expect(await queueDepth(stage, id), `${id} holds messages`).toBe(0);
  }
}

/** Every invariant, once the pipeline has settled. */
export async function expectEveryEffectExactlyOnce(stage: AsyncStageForTests): Promise<void> {
  const events = await outboxEvents(stage);
  await expectLeaderboardEqualsWallets(stage);
  await expectAuditLogEqualsOutbox(stage, events);
  await expectOnePostPerBigWin(stage, events);
  await expectDeadLetterQueuesEmpty(stage);
}
