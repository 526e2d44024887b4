/**
 * The error `promise` rejects with, checked to be a `type`: a test's way to look at a refusal.
 * Fails (throws) when the promise resolves, or rejects with anything else, so a test cannot pass
 * by accident.
 */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const outcome = await promise.then(
    (value) => new Error(`expected a ${type.name}, got ${JSON.stringify(value)}`),
    (err: unknown) => err,
  );
  if (!(outcome instanceof type)) throw outcome;
  return outcome;
}
