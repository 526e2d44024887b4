/*
 * The domain events of the course app, from stage 04 on: what a service publishes when something
 * happened, for any other service to react to. They are part of the public contract beside
 * openapi.yaml — producers validate what they publish and consumers what they receive, against
 * these schemas — so a change to them is a change of contract: add optional fields freely; for
 * anything else publish a new `version` beside the old one until every consumer reads it.
 *
 * `events.schema.json` (this package's root) is the same contract as JSON Schema, generated from
 * these zod schemas (`pnpm --filter @course/contract generate:events`; a test fails when stale).
 */
import { z } from 'zod';

/**
 * A spin is a "big win" — announced in the forum — from this multiple of the bet: three of a
 * kind (about one spin in 31; see the paytable). SNS filters on it, so the forum's queue only
 * ever receives these spins.
 */
export const BIG_WIN_MULTIPLE = 10;

const uuid = z.uuid();
const credits = z.int().nonnegative();

/**
 * The position of the event in its player's history: it increases with every event of that
 * player. A consumer keeps the highest it has applied and ignores anything not higher — that
 * makes applying an event twice, or an older one after a newer one, change nothing.
 */
const sequence = z.int().positive();

const player = { playerId: uuid, username: z.string().min(1).max(64), sequence };

/** A wallet was opened with its starting credits (first touch of a player). */
export const walletOpenedData = z.strictObject({ ...player, balance: credits });

/** A spin was paid and settled: the bet taken, the payout credited, in one transaction. */
export const spinSettledData = z.strictObject({
  ...player,
  spinId: uuid,
  bet: z.int().positive(),
  payout: credits,
  /** The balance right after this spin. */
  balance: credits,
  reels: z.array(z.string().min(1)).length(3),
  /** The paytable line that paid, absent on a loss. */
  line: z.string().min(1).optional(),
});

/**
 * What a title purchase moved (stage 04's saga): the purchase, the title, the credits, and the
 * balance right after. The same data for the debit and for its refund.
 */
const purchaseCredits = {
  ...player,
  purchaseId: uuid,
  titleId: z.string().min(1).max(64),
  /** The credits taken (spent) or given back (refunded): the purchase's price. */
  amount: z.int().positive(),
  balance: credits,
};

/** A purchase's price was debited from the wallet (the saga's first step). */
export const creditsSpentData = z.strictObject(purchaseCredits);

/** A purchase's price came back to the wallet: its title could not be granted (compensation). */
export const creditsRefundedData = z.strictObject(purchaseCredits);

/**
 * What every event carries around its data. `id` is unique per event and the same on every
 * delivery of it (consumers are idempotent by it or by `sequence`); `traceId` is the
 * X-Request-Id of the API request that caused it, so one grep follows a request through every
 * hop; `time` is the writer's clock when the event was appended, inside the transaction of the
 * change, just before its commit — not the commit itself, and not when it was delivered.
 */
const envelope = {
  id: uuid,
  source: z.literal('slots'),
  time: z.iso.datetime({ offset: true }),
  traceId: z.string().min(1).max(200),
  version: z.literal(1),
};

export const walletOpened = z.strictObject({
  ...envelope,
  type: z.literal('WalletOpened'),
  data: walletOpenedData,
});

export const spinSettled = z.strictObject({
  ...envelope,
  type: z.literal('SpinSettled'),
  data: spinSettledData,
});

export const creditsSpent = z.strictObject({
  ...envelope,
  type: z.literal('CreditsSpent'),
  data: creditsSpentData,
});

export const creditsRefunded = z.strictObject({
  ...envelope,
  type: z.literal('CreditsRefunded'),
  data: creditsRefundedData,
});

/** Every event of the contract, told apart by `type`. */
export const domainEvent = z.discriminatedUnion('type', [
  walletOpened,
  spinSettled,
  creditsSpent,
  creditsRefunded,
]);

export type WalletOpened = z.infer<typeof walletOpened>;
export type SpinSettled = z.infer<typeof spinSettled>;
export type CreditsSpent = z.infer<typeof creditsSpent>;
export type CreditsRefunded = z.infer<typeof creditsRefunded>;
export type DomainEvent = z.infer<typeof domainEvent>;
export type DomainEventType = DomainEvent['type'];

/** An event that breaks the contract: a consumer cannot apply it, however often it retries. */
export class EventContractError extends Error {
  override name = 'EventContractError';
  constructor(readonly issues: string[]) {
    super(`not a valid domain event: ${issues.join('; ')}`);
  }
}

/** Parses an event from a message body (JSON text) or a value; throws EventContractError. */
export function parseDomainEvent(input: unknown): DomainEvent {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new EventContractError(['the body is not JSON']);
    }
  }
  const parsed = domainEvent.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new EventContractError(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`),
  );
}

/** How many times the bet a spin paid: 0 on a loss. */
export function payoutMultiple(data: Pick<SpinSettled['data'], 'bet' | 'payout'>): number {
  return data.payout / data.bet;
}

export function isBigWin(event: DomainEvent): event is SpinSettled {
  return event.type === 'SpinSettled' && payoutMultiple(event.data) >= BIG_WIN_MULTIPLE;
}

/**
 * The message attributes an event is published with. Subscriptions filter on them (SNS cannot
 * filter on a raw body's fields without payload-based filtering), and with raw message delivery
 * they reach the queue as SQS message attributes: `traceId` is readable before the body is.
 */
export function messageAttributesOf(event: DomainEvent): Record<string, MessageAttribute> {
  const attributes: Record<string, MessageAttribute> = {
    type: { DataType: 'String', StringValue: event.type },
    traceId: { DataType: 'String', StringValue: event.traceId },
  };
  if (event.type === 'SpinSettled') {
    attributes.payoutMultiple = {
      DataType: 'Number',
      StringValue: String(payoutMultiple(event.data)),
    };
  }
  return attributes;
}

/** An SNS/SQS message attribute, as both SDK clients take it. */
export interface MessageAttribute {
  DataType: 'String' | 'Number';
  StringValue: string;
}

/** The JSON Schema of `domainEvent` (draft 2020-12), for readers who do not use zod. */
export function eventsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(domainEvent, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
