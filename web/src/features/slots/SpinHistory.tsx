import type { Schemas } from '../../lib/api.ts';
import { SymbolArt } from './symbols.tsx';

/** The player's own recent spins, newest first, as the server recorded them. */
export function SpinHistory({ spins }: { spins: readonly Schemas['Spin'][] }) {
  return (
    <section className="panel history" aria-labelledby="history-heading">
      <h2 id="history-heading">Your spins</h2>
      {spins.length === 0 ? (
        <p className="muted">No spins yet. Your first one will show up here.</p>
      ) : (
        <ol className="history__list" aria-label="Spin history">
          {spins.map((spin) => (
            <li key={spin.id} className="history__item" data-spin-id={spin.id}>
              <span className="history__reels" role="img" aria-label={spin.reels.join(', ')}>
                {spin.reels.map((symbolId, position) => (
                  <span key={position} className="history__symbol">
                    <SymbolArt id={symbolId} />
                  </span>
                ))}
              </span>
              <span>bet {spin.bet}</span>
              <span className={spin.payout > 0 ? 'win' : 'muted'}>
                {spin.payout > 0 ? `won ${spin.payout}` : 'no win'}
              </span>
              <span className="history__balance">balance {spin.balance}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
