import { createStore, type Store } from './store.ts';

/** One API call as the "Served by" panel shows it. */
export interface TracedCall {
  /** openapi-fetch's id for the request; unique per call. */
  id: string;
  method: string;
  path: string;
  /** The HTTP status, or null when no response came back (network error). */
  status: number | null;
  latencyMs: number;
  /** Which service, stage and kind of process answered, e.g. "monolith@00 (process)". */
  servedBy: string | null;
  requestId: string | null;
  at: number;
}

export const TRACE_LIMIT = 10;

export type TraceStore = Store<readonly TracedCall[]> & { record(call: TracedCall): void };

/** Keeps the most recent calls, newest first. */
export function createTraceStore(limit = TRACE_LIMIT): TraceStore {
  const store = createStore<readonly TracedCall[]>([]);
  return {
    ...store,
    record(call) {
      store.set([call, ...store.get()].slice(0, limit));
    },
  };
}
