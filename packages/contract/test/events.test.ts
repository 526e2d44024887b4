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
});
