import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { createHarness, type Harness, type Player } from '@course/contract';
import { type DomainEvent, isBigWin, messageAttributesOf } from '@course/contract/events';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RECEIVE_COUNT } from '../cdk/event-queue.ts';
import { LOGICAL_IDS } from '../cdk/logical-ids.ts';
import { checkEventsArrive } from '../verify.ts';
import { expectEveryEffectExactlyOnce, outboxEvents } from './invariants.ts';
import {
  asyncStageForThisFile,
  eventually,
  functionLog,
  queueDepth,
  waitUntilSettled,
} from './support.ts';

/*
 * The named proofs, each on stage 04 as `pnpm start 04` runs it, with the local AWS's
 * time scale shrunk (a 60 s visibility timeout lasts 6 s, the sweeper runs every 6 s).
 */
const stage = asyncStageForThisFile({ localAws: { timeScale: 0.1 } });
const h = (): Harness => createHarness(() => stage.url);
afterEach(() => stage.clearFaults());

async function spins(player: Player, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    h().expectStatus(await h().send('createSpin', { token: player.token, json: { bet: 1 } }), 201);
  }
}

/** The player's events in the outbox, oldest first. */
async function eventsOf(player: Player): Promise<DomainEvent[]> {
  return (await outboxEvents(stage)).filter((event) => event.data.playerId === player.id);
}

/** What the projector logged about one event. */
const projected = (eventId: string) =>
  functionLog(stage, LOGICAL_IDS.projectorFunction).filter((line) => line.eventId === eventId);

describe('the outbox when SNS refuses every publish (the relay fails between commit and publish)', () => {
  it('answers the spins, and the sweeper publishes each event: every effect exactly once', async () => {
    // Arrange
    const player = await h().newPlayer();
    stage.setFaults('topic', { refusePublish: 1 });

    // Act: the spins succeed; their events stay in the outbox until the outage ends.
    await spins(player, 3);
    const [unpublished] = await stage.query<{ count: string }>(
      'slots',
      `SELECT count(*) FROM outbox WHERE published_at IS NULL AND event->'data'->>'playerId' = $1`,
      [player.id],
    );
    stage.setFaults('topic', {});
    await waitUntilSettled(stage);

    // Assert
    const events = await eventsOf(player);
    expect(events).toHaveLength(4); // WalletOpened and three SpinSettled
    expect(Number(unpublished?.count)).toBe(4);
    const sweeper = functionLog(stage, LOGICAL_IDS.sweeperFunction);
    for (const event of events) {
      expect(
        sweeper.filter((line) => line.eventId === event.id && line.msg === 'event published'),
      ).toHaveLength(1);
    }
    await expectEveryEffectExactlyOnce(stage);
  }, 90_000);
});

describe('the leaderboard projector when it dies after its effect and before the delete', () => {
  it('applies the redelivered event once: the second delivery changes nothing', async () => {
    // Arrange
    const player = await h().newPlayer();
    await spins(player, 1);
    await waitUntilSettled(stage);
    stage.setFaults('leaderboard', { crashBeforeDelete: 'once' });

    // Act
    await spins(player, 1);
    await waitUntilSettled(stage);

    // Assert: delivered twice, applied once.
    const last = (await eventsOf(player)).at(-1);
    expect(last?.type).toBe('SpinSettled');
    const lines = projected(last?.id ?? '');
    expect(lines.map((line) => [line.receiveCount, line.applied])).toEqual([
      [1, true],
      [2, false],
    ]);
    await expectEveryEffectExactlyOnce(stage);
  }, 90_000);
});

describe('a poison message on the leaderboard queue', () => {
  it('goes to the dead-letter queue after maxReceiveCount receives while the other events are applied; repaired and redriven, it changes nothing twice', async () => {
    // Arrange: a player whose newest event has been applied, and a copy of that event broken the
    // way a producer's bug could break it (a balance as text), sent straight to the queue.
    const player = await h().newPlayer();
    await spins(player, 2);
    await waitUntilSettled(stage);
    const event = (await eventsOf(player)).at(-1);
    if (!event) throw new Error('the player has no event');
    const queueUrl = stage.queueUrl(LOGICAL_IDS.leaderboardQueue);
    const deadLetterUrl = stage.queueUrl(LOGICAL_IDS.leaderboardDeadLetterQueue);
    const poison = JSON.stringify({ ...event, data: { ...event.data, balance: 'lots' } });

    // Act: the poison, and meanwhile another player's spins.
    await stage.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: poison,
        MessageAttributes: messageAttributesOf(event),
      }),
    );
    const other = await h().newPlayer();
    await spins(other, 2);
    await eventually(
      'the poison in the dead-letter queue',
      async () => (await queueDepth(stage, LOGICAL_IDS.leaderboardDeadLetterQueue)) === 1,
    );
    await waitUntilSettled(stage);

    // Assert: as many receives as the queue's redrive policy allows, then the dead-letter queue;
    // everything else applied.
    const failures = functionLog(stage, LOGICAL_IDS.projectorFunction).filter(
      (line) => line.traceId === event.traceId && line.msg.startsWith('event not projected'),
    );
    expect(failures.map((line) => line.receiveCount)).toEqual(
      Array.from({ length: MAX_RECEIVE_COUNT }, (_, index) => index + 1),
    );
    const [dead] =
      (await stage.sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterUrl }))).Messages ?? [];
    expect(dead?.Body).toBe(poison);
    const othersEvents = await eventsOf(other);
    expect(othersEvents).toHaveLength(3);

    // Act: the fix — the message repaired (the event as the outbox holds it) in place of the
    // broken one — then the redrive back to the leaderboard queue.
    await stage.sqs.send(
      new DeleteMessageCommand({ QueueUrl: deadLetterUrl, ReceiptHandle: dead?.ReceiptHandle }),
    );
    await stage.sqs.send(
      new SendMessageCommand({
        QueueUrl: deadLetterUrl,
        MessageBody: JSON.stringify(event),
        MessageAttributes: messageAttributesOf(event),
      }),
    );
    const { Attributes } = await stage.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
    );
    const { TaskHandle } = await stage.sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: Attributes?.QueueArn }),
    );
    expect(TaskHandle).toBeDefined();
    await eventually('the redrive completed', async () => {
      const { Results = [] } = await stage.sqs.send(
        new ListMessageMoveTasksCommand({ SourceArn: Attributes?.QueueArn }),
      );
      return Results[0]?.Status === 'COMPLETED';
    });
    await eventually('the redriven event received', async () => projected(event.id).length === 2);
    await waitUntilSettled(stage);

    // Assert: the redriven event was received and changed nothing; the dead-letter queue is empty.
    expect(projected(event.id).map((line) => line.applied)).toEqual([true, false]);
    await expectEveryEffectExactlyOnce(stage);
  }, 120_000);
});

describe('the forum when a big win is delivered again and again', () => {
  it('announces it once', async () => {
    // Arrange: spins until a big win (about one spin in thirty; 300 spins all missing one: less
    // than 1 in 20,000).
    const player = await h().newPlayer();
    let bigWin: DomainEvent | undefined;
    for (let i = 0; i < 300 && !bigWin; i++) {
      await spins(player, 1);
      bigWin = (await eventsOf(player)).filter(isBigWin).at(0);
    }
    if (!bigWin) throw new Error('no big win in 300 spins');

    // Act: two more deliveries of its event to the forum's queue, as SNS may make them.
    for (let i = 0; i < 2; i++) {
      await stage.sqs.send(
        new SendMessageCommand({
          QueueUrl: stage.queueUrl(LOGICAL_IDS.jackpotQueue),
          MessageBody: JSON.stringify(bigWin),
          MessageAttributes: messageAttributesOf(bigWin),
        }),
      );
    }
    await waitUntilSettled(stage);

    // Assert
    await expectEveryEffectExactlyOnce(stage);
  }, 120_000);
});

describe("pnpm verify 04's own check, against this stage", () => {
  it("sees a new player's big win announced, on the leaderboard and in the audit log", async () => {
    const lines: string[] = [];

    await checkEventsArrive({
      baseUrl: stage.url,
      auditBucket: stage.context.bucketNames[LOGICAL_IDS.auditBucket],
      waitSeconds: 30,
      s3: stage.s3,
      log: (line) => lines.push(line),
    });

    expect(lines).toEqual([
      expect.stringMatching(/won \d+ credits on spin \d+/),
      expect.stringContaining('the announcement'),
      expect.stringContaining('the leaderboard'),
      expect.stringContaining('the audit log'),
    ]);
  }, 120_000);
});
