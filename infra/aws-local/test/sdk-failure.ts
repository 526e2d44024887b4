/** The error of a given class an SDK call ends with; a call that succeeds fails the test. */
export async function failureOf<E extends Error>(
  promise: Promise<unknown>,
  // biome-ignore lint/suspicious/noExplicitAny: any constructor of the SDK's exception classes
  type: abstract new (...args: any[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}
