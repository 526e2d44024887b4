import { useState } from 'react';
import type { Schemas } from '../../lib/api.ts';
import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import { ApiProblem, asProblem, call, type Problem } from '../../lib/problem.ts';
import { Link } from '../../lib/router.tsx';
import { useApi, useCurrentSession } from '../../lib/services.tsx';
import { useResource } from '../../lib/use-resource.ts';
import { BetSelector, clampBet } from './BetSelector.tsx';
import { Paytable } from './Paytable.tsx';
import { Reels } from './Reels.tsx';
import { SpinHistory } from './SpinHistory.tsx';
import { useReducedMotion } from './use-reduced-motion.ts';
import { useSpin } from './use-spin.ts';
import './slots.css';

const HISTORY_SIZE = 10;

/** The game page: the machine for everyone, the wallet and spins once logged in. */
export function SlotsPage() {
  const api = useApi();
  const [machine, { reload }] = useResource(() => call(api.GET('/api/slots/machine')), [api]);

  if (machine.state === 'loading') return <p className="loading">Loading the slot machine…</p>;
  if (machine.state === 'failed') {
    return (
      <section className="slots" aria-labelledby="slots-heading">
        <h1 id="slots-heading">Slots</h1>
        <ProblemMessage problem={machine.problem} onRetry={reload} />
      </section>
    );
  }
  return (
    <div className="slots">
      <SlotMachine machine={machine.data} />
      <aside className="slots__side">
        <Paytable machine={machine.data} />
      </aside>
    </div>
  );
}

function SlotMachine({ machine }: { machine: Schemas['Machine'] }) {
  const session = useCurrentSession();
  const resting = machine.reels.map((strip) => strip[0] ?? '');
  return (
    <section className="panel machine" aria-labelledby="slots-heading">
      <h1 id="slots-heading">Slots</h1>
      {session ? (
        <Player machine={machine} resting={resting} />
      ) : (
        <>
          <Reels machine={machine} stops={resting} spinKey="" waiting={false} reduceMotion />
          <p className="machine__cta">
            <Link href="/login">Log in</Link> or <Link href="/register">create an account</Link> to
            play: every new player starts with {machine.startingBalance} credits.
          </p>
        </>
      )}
    </section>
  );
}

type Outcome =
  | { kind: 'result'; spin: Schemas['Spin'] }
  | { kind: 'problem'; problem: Problem; retryable: boolean };

interface PlayerState {
  balance: number;
  history: Schemas['Spin'][];
}

function Player({ machine, resting }: { machine: Schemas['Machine']; resting: string[] }) {
  const api = useApi();
  const reduceMotion = useReducedMotion();
  const spin = useSpin(api);
  const [player, { reload, set }] = useResource(async (): Promise<PlayerState> => {
    const [wallet, history] = await Promise.all([
      call(api.GET('/api/slots/wallet')),
      call(api.GET('/api/slots/spins', { params: { query: { limit: HISTORY_SIZE } } })),
    ]);
    return { balance: wallet.balance, history: history.items };
  }, [api]);
  const [bet, setBet] = useState(() => clampBet(10, machine.minBet, machine.maxBet));
  const [spinning, setSpinning] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  if (player.state === 'loading') return <p className="loading">Loading your wallet…</p>;
  if (player.state === 'failed')
    return <ProblemMessage problem={player.problem} onRetry={reload} />;
  const { balance, history } = player.data;

  const onSpin = async () => {
    if (spinning) return; // aria-disabled, not disabled: the button keeps keyboard focus
    setSpinning(true);
    try {
      const result = await spin(bet);
      set({ balance: result.balance, history: [result, ...history].slice(0, HISTORY_SIZE) });
      setOutcome({ kind: 'result', spin: result });
    } catch (error) {
      const retryable = error instanceof ApiProblem && error.isNetworkError;
      setOutcome({ kind: 'problem', problem: asProblem(error), retryable });
    } finally {
      setSpinning(false);
    }
  };

  const lastSpin = outcome?.kind === 'result' ? outcome.spin : history[0];
  return (
    <>
      <Reels
        machine={machine}
        stops={lastSpin?.reels ?? resting}
        spinKey={outcome?.kind === 'result' ? outcome.spin.id : ''}
        waiting={spinning}
        reduceMotion={reduceMotion}
      />
      <p className="balance">
        Balance{' '}
        <strong className="balance__value" data-testid="balance">
          {balance}
        </strong>{' '}
        credits
      </p>
      <div className="machine__controls">
        <BetSelector
          bet={bet}
          minBet={machine.minBet}
          maxBet={machine.maxBet}
          onChange={setBet}
          disabled={spinning}
        />
        <button
          type="button"
          className="button spin-button"
          onClick={onSpin}
          aria-disabled={spinning}
        >
          {spinning ? 'Spinning…' : 'Spin'}
        </button>
      </div>
      <div className="machine__outcome" aria-live="polite" data-testid="spin-result">
        {outcome?.kind === 'result' ? (
          <SpinAnnouncement spin={outcome.spin} machine={machine} />
        ) : null}
      </div>
      {outcome?.kind === 'problem' ? (
        <>
          <ProblemMessage problem={outcome.problem} />
          {outcome.retryable ? (
            <p className="muted">
              Press Spin again to retry. The retry carries the same Idempotency-Key, so the server
              will not charge you twice if your first spin did arrive.
            </p>
          ) : null}
        </>
      ) : null}
      <SpinHistory spins={history} />
    </>
  );
}

function SpinAnnouncement({
  spin,
  machine,
}: {
  spin: Schemas['Spin'];
  machine: Schemas['Machine'];
}) {
  const names = spin.reels.map((id) => machine.symbols.find((s) => s.id === id)?.name ?? id);
  const won = spin.payout > 0;
  return (
    <p className={won ? 'outcome outcome--win' : 'outcome outcome--lose'}>
      {names.join(', ')}.{' '}
      <strong>{won ? `You won ${spin.payout} credits!` : 'No win this time.'}</strong> Balance:{' '}
      {spin.balance}.
    </p>
  );
}
