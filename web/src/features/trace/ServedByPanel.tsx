import { useSyncExternalStore } from 'react';
import type { TracedCall, TraceStore } from '../../lib/trace.ts';
import './trace.css';

/**
 * The last API calls and who answered each one. In stage 00 every row says
 * `monolith@00 (process)`; as the course extracts services, the same rows start naming them.
 */
export function ServedByPanel({ trace, startOpen }: { trace: TraceStore; startOpen: boolean }) {
  const calls = useSyncExternalStore(trace.subscribe, trace.get);
  return (
    <details className="trace" open={startOpen}>
      <summary className="trace__summary">
        Served by <span className="trace__latest">{calls[0]?.servedBy ?? '—'}</span>
      </summary>
      {calls.length === 0 ? (
        <p className="muted trace__empty">API calls will show up here.</p>
      ) : (
        <ol className="trace__list" aria-label="Recent API calls">
          {calls.map((tracedCall) => (
            <TraceRow key={tracedCall.id} call={tracedCall} />
          ))}
        </ol>
      )}
    </details>
  );
}

function TraceRow({ call }: { call: TracedCall }) {
  const failed = call.status === null || call.status >= 400;
  return (
    <li
      className="trace__row"
      title={call.requestId ? `X-Request-Id: ${call.requestId}` : undefined}
    >
      <span className="trace__call">
        <span className="trace__method">{call.method}</span>{' '}
        <span className="trace__path">{call.path}</span>
      </span>
      <span className="trace__facts">
        <span className={failed ? 'trace__status trace__status--failed' : 'trace__status'}>
          {call.status ?? 'network error'}
        </span>
        <span className="trace__latency">{call.latencyMs} ms</span>
        <span className="trace__served-by" data-testid="served-by">
          {call.servedBy ?? 'no answer'}
        </span>
      </span>
    </li>
  );
}
