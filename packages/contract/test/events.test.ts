import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BIG_WIN_MULTIPLE,
  EventContractError,
  eventsJsonSchema,
  isBigWin,
  messageAttributesOf,
  parseDomainEvent,
  type SpinSettled,
} from '../src/events/index.ts';

function spinSettled(data: Partial<SpinSettled['data']> = {}): SpinSettled {
  return {
    id: randomUUID(),
    type: 'SpinSettled',
    version: 1,
    source: 'slots',
    time: '2026-12-06T10:00:00.000Z',
    traceId: 'req-1',
    data: {
      playerId: randomUUID(),
      username: 'alice',
      sequence: 7,
      spinId: randomUUID(),
      bet: 10,
      payout: 0,
      balance: 990,
      reels: ['bell', 'robot', 'puppy'],
      ...data,
    },
  };
}

function creditsEvent(type: 'CreditsSpent' | 'CreditsRefunded', amount = 500) {
  return {
    id: randomUUID(),
    type,
    version: 1,
    source: 'slots',
    time: '2026-12-06T10:00:00.000Z',
    traceId: 'req-2',
    data: {
      playerId: randomUUID(),
      username: 'alice',
      sequence: 8,
      purchaseId: randomUUID(),
      titleId: 'high-roller',
      amount,
      balance: 500,
    },
  };
}

describe('domain events', () => {
  it('events.schema.json is the JSON Schema of the zod contract (regenerate with generate:events)', () => {
    const file = JSON.parse(
      readFileSync(new URL('../events.schema.json', import.meta.url), 'utf8'),
    );
    expect(file).toEqual(eventsJsonSchema());
  });

  it('parses an event from its JSON text, as a consumer receives it', () => {
    const event = spinSettled();
    expect(parseDomainEvent(JSON.stringify(event))).toEqual(event);
  });

  it.each([
    ['a body that is not JSON', '{"type":'],
    ['an unknown type', JSON.stringify({ ...spinSettled(), type: 'SpinSpun' })],
    ['a negative balance', JSON.stringify(spinSettled({ balance: -1 }))],
    ['a field the contract does not know', JSON.stringify({ ...spinSettled(), extra: 1 })],
    ['a missing trace id', JSON.stringify({ ...spinSettled(), traceId: undefined })],
  ])('refuses %s with an EventContractError naming the problem', (_, body) => {
    expect(() => parseDomainEvent(body)).toThrow(EventContractError);
  });

  it(`calls a spin a big win from ${BIG_WIN_MULTIPLE}× the bet, and says so in its attributes`, () => {
    const small = spinSettled({ bet: 10, payout: (BIG_WIN_MULTIPLE - 1) * 10 });
    const big = spinSettled({ bet: 10, payout: BIG_WIN_MULTIPLE * 10 });

    expect([isBigWin(small), isBigWin(big)]).toEqual([false, true]);
    expect(messageAttributesOf(big)).toEqual({
      type: { DataType: 'String', StringValue: 'SpinSettled' },
      traceId: { DataType: 'String', StringValue: 'req-1' },
      payoutMultiple: { DataType: 'Number', StringValue: String(BIG_WIN_MULTIPLE) },
    });
  });

  it.each(['CreditsSpent', 'CreditsRefunded'] as const)(
    "parses a purchase's %s and publishes it with its type and trace id",
    (type) => {
      const event = creditsEvent(type);

      expect(parseDomainEvent(JSON.stringify(event))).toEqual(event);
      expect(messageAttributesOf(parseDomainEvent(event))).toEqual({
        type: { DataType: 'String', StringValue: type },
        traceId: { DataType: 'String', StringValue: 'req-2' },
      });
    },
  );

  it('refuses a purchase event that moves no credits', () => {
    expect(() => parseDomainEvent(creditsEvent('CreditsSpent', 0))).toThrow(EventContractError);
  });
});
