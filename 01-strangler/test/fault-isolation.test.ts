import type { ChildProcess } from 'node:child_process';
import { freePort } from '@course/local';
import type { RunningServer } from '@course/service-kit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type StranglerDatabases, startDatabases } from './databases.ts';
import { as, type Player, register } from './players.ts';
import { kill, startFacade, startMonolith, startSlotsProcess } from './support.ts';

// The slots service runs as a real process here, so it can be killed without warning.
let databases: StranglerDatabases;
let monolith: RunningServer;
let facade: RunningServer;
let slots: ChildProcess;
let slotsPort: number;
let player: Player;

const startSlots = () =>
  startSlotsProcess({
    port: slotsPort,
    databaseUrl: databases.urls.slots,
    monolithUrl: monolith.url,
  });

beforeAll(async () => {
  databases = await startDatabases();
  monolith = await startMonolith(databases.urls.monolith);
  slotsPort = await freePort();
  slots = await startSlots();
  facade = await startFacade(100, {
    monolith: monolith.url,
    slots: `http://127.0.0.1:${slotsPort}`,
  });
  player = await register(facade.url);
}, 60_000);

afterAll(async () => {
  await facade?.close();
  if (slots) await kill(slots);
  await monolith?.close();
  await databases?.stop();
});

async function timed(path: string, init?: RequestInit) {
  const started = performance.now();
  const response = await fetch(`${facade.url}${path}`, init);
  const body = await response.text();
  return { status: response.status, ms: performance.now() - started, response, body };
}

describe('with the slots service killed', () => {
  it('slots routes answer 503 problem+json within 1 s while forum routes keep answering', async () => {
    expect((await timed('/api/slots/wallet', as(player))).status).toBe(200);

    await kill(slots);
    const slotsAnswers = [];
    const forumAnswers = [];
    for (let round = 0; round < 10; round += 1) {
      slotsAnswers.push(await timed('/api/slots/wallet', as(player)));
      slotsAnswers.push(
        await timed('/api/slots/spins', as(player, { method: 'POST', body: '{"bet":1}' })),
      );
      forumAnswers.push(await timed('/api/threads'));
    }

    for (const answer of slotsAnswers) {
      expect(answer.status).toBe(503);
      expect(answer.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.ms).toBeLessThan(1_000);
    }
    expect(forumAnswers.map((a) => a.status)).toEqual(forumAnswers.map(() => 200));
  });

  it('slots routes recover once the service is back, without restarting the facade', async () => {
    slots = await startSlots();

    await vi.waitFor(
      async () => expect((await timed('/api/slots/wallet', as(player))).status).toBe(200),
      { timeout: 5_000, interval: 100 },
    );
    expect((await timed('/api/threads')).status).toBe(200);
  });
});
