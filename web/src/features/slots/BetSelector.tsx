import { useEffect, useId, useState } from 'react';

/** Any input as a whole bet within the machine's limits. */
export function clampBet(value: number, minBet: number, maxBet: number): number {
  if (!Number.isFinite(value)) return minBet;
  return Math.min(maxBet, Math.max(minBet, Math.round(value)));
}

interface BetSelectorProps {
  bet: number;
  minBet: number;
  maxBet: number;
  disabled?: boolean;
  onChange: (bet: number) => void;
}

/**
 * A number field with − / + steps. The field may hold anything while the player types; the bet
 * itself only ever takes a clamped value, so a spin can never be sent with an out-of-range bet.
 */
export function BetSelector({ bet, minBet, maxBet, disabled, onChange }: BetSelectorProps) {
  const id = useId();
  const [draft, setDraft] = useState(String(bet));
  useEffect(() => setDraft(String(bet)), [bet]);

  const commit = (value: number) => {
    const clamped = clampBet(value, minBet, maxBet);
    setDraft(String(clamped));
    onChange(clamped);
  };
  const step = bet >= 20 ? 10 : bet >= 5 ? 5 : 1;

  return (
    <div className="bet">
      <label htmlFor={id} className="bet__label">
        Bet{' '}
        <span className="bet__limits">
          ({minBet}–{maxBet} credits)
        </span>
      </label>
      <div className="bet__controls">
        <button
          type="button"
          className="button button--icon"
          aria-label="Lower the bet"
          disabled={disabled || bet <= minBet}
          onClick={() => commit(bet - step)}
        >
          −
        </button>
        <input
          id={id}
          className="bet__input"
          type="number"
          inputMode="numeric"
          min={minBet}
          max={maxBet}
          step={1}
          value={draft}
          disabled={disabled}
          onChange={(event) => setDraft(event.target.value)}
          onBlur={() => commit(Number(draft))}
          onKeyDown={(event) => {
            if (event.key === 'Enter') commit(Number(draft));
          }}
        />
        <button
          type="button"
          className="button button--icon"
          aria-label="Raise the bet"
          disabled={disabled || bet >= maxBet}
          onClick={() => commit(bet + step)}
        >
          +
        </button>
      </div>
    </div>
  );
}
