export {
  type BetCheck,
  type BetProblem,
  MAX_BET,
  MIN_BET,
  STARTING_BALANCE,
  validateBet,
} from './bet.ts';
export { describeMachine, type MachineDescription } from './describe.ts';
export {
  findWinningLine,
  matchesPattern,
  PAYTABLE,
  type PatternCell,
  type Paytable,
  type PaytableLine,
} from './paytable.ts';
export { cryptoRandom, type RandomSource, seededRandom, uniformInt } from './random.ts';
export { type Combination, combinationAt, REEL_STRIPS, type Strip, type Strips } from './reels.ts';
export {
  computeHitFrequency,
  computeRtp,
  formatRational,
  type Rational,
} from './rtp.ts';
export { type SpinOutcome, spin } from './spin.ts';
export { isSymbolId, SYMBOL_IDS, SYMBOLS, type SymbolId } from './symbols.ts';
