import type { Schemas } from '../../lib/api.ts';
import { SymbolArt } from './symbols.tsx';

/** What each line pays, and the exact return to player the server computed from the strips. */
export function Paytable({ machine }: { machine: Schemas['Machine'] }) {
  const names = new Map(machine.symbols.map((symbol) => [symbol.id, symbol.name]));
  return (
    <section className="panel paytable" aria-labelledby="paytable-heading">
      <h2 id="paytable-heading">Paytable</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Pays</th>
          </tr>
        </thead>
        <tbody>
          {machine.paytable.map((entry) => (
            <tr key={entry.pattern.join('-')}>
              <th scope="row">
                <span className="paytable__pattern">
                  {entry.pattern.map((symbolId, position) => (
                    <span
                      key={position}
                      className="paytable__symbol"
                      title={names.get(symbolId) ?? 'any symbol'}
                    >
                      {symbolId === 'any' ? '·' : <SymbolArt id={symbolId} />}
                    </span>
                  ))}
                </span>
                <span className="paytable__label">{entry.label}</span>
              </th>
              <td>×{entry.multiplier}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="paytable__rtp">
        Return to player: <strong>{(machine.rtp * 100).toFixed(2)}%</strong>{' '}
        <span className="muted">(exactly {machine.rtpExact})</span>
      </p>
    </section>
  );
}
