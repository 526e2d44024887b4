import { MAX_BET, MIN_BET, STARTING_BALANCE } from './bet.ts';
import { PAYTABLE, type PatternCell } from './paytable.ts';
import { REEL_STRIPS, type Strips } from './reels.ts';
import { computeRtp, formatRational, type Rational } from './rtp.ts';
import { SYMBOLS, type SymbolId } from './symbols.ts';

/** Exactly the JSON body of `GET /api/slots/machine`. */
export interface MachineDescription {
  symbols: { id: SymbolId; name: string }[];
  reels: [SymbolId[], SymbolId[], SymbolId[]];
  paytable: {
    pattern: [PatternCell, PatternCell, PatternCell];
    multiplier: number;
    label: string;
  }[];
  minBet: number;
  maxBet: number;
  startingBalance: number;
  /** The RTP as a number in 0..1, e.g. 0.9487… */
  rtp: number;
  /** The same RTP as an exact "p/q" fraction. */
  rtpExact: string;
}

// The strips and paytable are constants, so the RTP is too: enumerate once, on first use.
let cachedRtp: Rational | undefined;

/**
 * The machine as the API shows it. Returns fresh arrays on every call so that a caller
 * that changes the response cannot change the game.
 */
export function describeMachine(): MachineDescription {
  cachedRtp ??= computeRtp();
  return {
    symbols: SYMBOLS.map(({ id, name }) => ({ id, name })),
    reels: copyStrips(REEL_STRIPS),
    paytable: PAYTABLE.map(({ pattern, multiplier, label }) => ({
      pattern: [pattern[0], pattern[1], pattern[2]],
      multiplier,
      label,
    })),
    minBet: MIN_BET,
    maxBet: MAX_BET,
    startingBalance: STARTING_BALANCE,
    rtp: cachedRtp.value,
    rtpExact: formatRational(cachedRtp),
  };
}

function copyStrips(strips: Strips): MachineDescription['reels'] {
  return [[...strips[0]], [...strips[1]], [...strips[2]]];
}
