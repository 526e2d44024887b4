/*
 * Which records of a batch an event source mapping deletes after the function returned, by the
 * rules of the Lambda developer guide ("Handling errors for an SQS event source in Lambda",
 * partial batch responses):
 * - without ReportBatchItemFailures, a successful invocation deletes the whole batch;
 * - with it, the batch is a complete success (all deleted) when the response is null, has no
 *   `batchItemFailures`, or names none (an empty or null list);
 * - it is a complete failure (nothing deleted) when the response is not a JSON object, or an
 *   `itemIdentifier` is missing, null, empty, not a string, or not the messageId of a record in
 *   the batch; otherwise the records named are kept and the others deleted.
 * A failed invocation (error, crash, timeout) deletes nothing: its messages reappear once their
 * visibility timeout expires. Pure, so each rule has a test of its own.
 */

export type Settlement =
  | { kind: 'delete-all' }
  | { kind: 'keep-all'; reason: string }
  | { kind: 'keep-some'; failed: Set<string> };

export function settleBatch(
  messageIds: readonly string[],
  payload: string,
  reportBatchItemFailures: boolean,
): Settlement {
  if (!reportBatchItemFailures) return { kind: 'delete-all' };
  let response: unknown;
  try {
    response = JSON.parse(payload);
  } catch {
    return { kind: 'keep-all', reason: 'the response is not valid JSON' };
  }
  if (response === null) return { kind: 'delete-all' };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return { kind: 'keep-all', reason: 'the response is not a batch response object' };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'delete-all' };
  if (!Array.isArray(failures)) {
    return { kind: 'keep-all', reason: 'batchItemFailures is not a list' };
  }
  if (failures.length === 0) return { kind: 'delete-all' };
  const inBatch = new Set(messageIds);
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !inBatch.has(id)) {
      return {
        kind: 'keep-all',
        reason: `itemIdentifier ${JSON.stringify(id ?? null)} is not a messageId of this batch`,
      };
    }
    failed.add(id);
  }
  return { kind: 'keep-some', failed };
}
