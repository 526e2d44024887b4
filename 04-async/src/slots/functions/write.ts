/*
 * POST /api/slots/spins, as in stage 03 (see its write.ts for why it is a function of its own),
 * now with events: the spin and its SpinSettled event commit in one transaction (the outbox),
 * and the function publishes the event to SNS before it answers (the relay). A publish that
 * fails does not fail the spin: the sweeper publishes the event a little later.
 */
import { httpSlotsFunction } from '../environment.ts';

export const handler = httpSlotsFunction(({ withSlots, player }) => ({
  'POST /api/slots/spins': async (request) => {
    const caller = await player(request);
    const { spin, replayed } = await withSlots(request, (slots) =>
      slots.spin(caller, {
        body: request.body,
        idempotencyKey: request.header('idempotency-key'),
      }),
    );
    // A replay answers exactly what the first request answered, and says so.
    const headers: Record<string, string> = replayed ? { 'idempotent-replayed': 'true' } : {};
    return { status: 201, body: spin, headers };
  },
}));
