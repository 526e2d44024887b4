import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { Schemas } from '../../lib/api.ts';
import { SymbolArt } from './symbols.tsx';

/** How many symbols fly past before a reel stops: enough to read as a spin, short enough to wait. */
const FILLER_LENGTH = 14;

interface ReelsProps {
  machine: Schemas['Machine'];
  /** The symbol each reel shows: the server's latest result, or the first symbols at rest. */
  stops: readonly string[];
  /** Changes on every spin, which starts a new animation. */
  spinKey: string;
  /** Whether a spin is in the air (waiting for the server). */
  waiting: boolean;
  reduceMotion: boolean;
}

export function Reels({ machine, stops, spinKey, waiting, reduceMotion }: ReelsProps) {
  const names = useMemo(
    () => new Map(machine.symbols.map((symbol) => [symbol.id, symbol.name])),
    [machine.symbols],
  );
  return (
    <div className={`reels${waiting ? ' reels--waiting' : ''}`}>
      {stops.map((stop, index) => (
        <Reel
          key={index} // three fixed reels, always in the same order
          index={index}
          stop={stop}
          name={names.get(stop) ?? stop}
          strip={machine.reels[index] ?? []}
          spinKey={spinKey}
          animate={!reduceMotion}
        />
      ))}
    </div>
  );
}

interface ReelProps {
  index: number;
  stop: string;
  name: string;
  strip: readonly string[];
  spinKey: string;
  animate: boolean;
}

/**
 * One reel: a column of symbols moved with a CSS transform. A spin lays out the previous symbol,
 * a run of the reel's real strip, then the server's result, and slides the column up so the
 * result lands in the window. The outcome is always the server's; the motion is only a show.
 */
function Reel({ index, stop, name, strip, spinKey, animate }: ReelProps) {
  const [frames, setFrames] = useState<readonly string[]>([stop]);
  const [landed, setLanded] = useState(true);
  const showing = useRef(stop);
  const lastSpinKey = useRef(spinKey);

  // Only a new spinKey starts a slide; any other change (first load, reduced motion) just shows
  // the symbol. `strip` is left out on purpose: it is the machine's, fixed for the page's life.
  useLayoutEffect(() => {
    const from = showing.current;
    const isNewSpin = spinKey !== lastSpinKey.current;
    showing.current = stop;
    lastSpinKey.current = spinKey;
    if (!animate || !isNewSpin) {
      setFrames([stop]);
      setLanded(true);
      return;
    }
    setFrames([from, ...filler(strip), stop]);
    setLanded(false);
    // Two frames: the first paints the column at its start, the second starts the transition.
    let second = 0;
    const first = requestAnimationFrame(() => {
      second = requestAnimationFrame(() => setLanded(true));
    });
    return () => {
      cancelAnimationFrame(first);
      cancelAnimationFrame(second);
    };
  }, [spinKey, stop, animate]);

  const offset = landed ? ((frames.length - 1) / frames.length) * 100 : 0;
  const duration = 0.8 + index * 0.35; // reels stop one after another, left to right
  const style = {
    transform: `translateY(-${offset}%)`,
    transition:
      landed && frames.length > 1
        ? `transform ${duration}s cubic-bezier(0.2, 0.9, 0.25, 1.06)`
        : 'none',
  };
  return (
    <div className="reel" role="img" aria-label={`Reel ${index + 1}: ${name}`} data-symbol={stop}>
      <div className="reel__strip" style={style} aria-hidden="true">
        {frames.map((symbolId, position) => (
          // A strip repeats symbols, so the position is each cell's identity.
          <div className="reel__cell" key={position}>
            <SymbolArt id={symbolId} />
          </div>
        ))}
      </div>
    </div>
  );
}

/** A run of consecutive symbols from a random place on the reel's strip. */
function filler(strip: readonly string[]): string[] {
  if (strip.length === 0) return [];
  const start = Math.floor(Math.random() * strip.length);
  return Array.from({ length: FILLER_LENGTH }, (_, i) => strip[(start + i) % strip.length] ?? '');
}
