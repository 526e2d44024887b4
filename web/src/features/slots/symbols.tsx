import type { ReactNode } from 'react';

/*
 * The six reel symbols, drawn as inline SVG: no image requests, crisp at any size, and easy for a
 * learner to restyle. Each is a 64×64 drawing; <SymbolArt> picks one by the server's symbol id.
 */

function Svg({ children }: { children: ReactNode }) {
  return (
    <svg viewBox="0 0 64 64" width="100%" height="100%" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export function Cherry() {
  return (
    <Svg>
      <path d="M22 40 C26 24 32 14 44 8" stroke="#2f7d32" strokeWidth="3" fill="none" />
      <path d="M42 42 C42 28 42 18 44 8" stroke="#2f7d32" strokeWidth="3" fill="none" />
      <path d="M44 8 C52 6 58 10 58 16 C50 18 46 14 44 8 Z" fill="#43a047" />
      <circle cx="21" cy="45" r="12" fill="#d32f2f" />
      <circle cx="43" cy="47" r="12" fill="#c62828" />
      <circle cx="17" cy="41" r="3.5" fill="#ff8a80" />
      <circle cx="39" cy="43" r="3.5" fill="#ff8a80" />
    </Svg>
  );
}

export function Bell() {
  return (
    <Svg>
      <circle cx="32" cy="8" r="4" fill="#b8860b" />
      <path
        d="M32 10 C20 10 16 20 16 32 C16 40 12 44 8 48 L56 48 C52 44 48 40 48 32 C48 20 44 10 32 10 Z"
        fill="#fbc02d"
        stroke="#b8860b"
        strokeWidth="2"
      />
      <rect x="8" y="47" width="48" height="5" rx="2.5" fill="#f9a825" />
      <circle cx="32" cy="56" r="5" fill="#b8860b" />
      <path d="M24 18 C21 22 20 28 20 34" stroke="#fff59d" strokeWidth="3" fill="none" />
    </Svg>
  );
}

export function Puppy() {
  return (
    <Svg>
      <ellipse cx="14" cy="26" rx="8" ry="15" fill="#6d4c41" transform="rotate(18 14 26)" />
      <ellipse cx="50" cy="26" rx="8" ry="15" fill="#6d4c41" transform="rotate(-18 50 26)" />
      <circle cx="32" cy="34" r="20" fill="#d7a86e" />
      <ellipse cx="32" cy="44" rx="11" ry="8" fill="#f3dcb8" />
      <circle cx="24" cy="30" r="3.5" fill="#212121" />
      <circle cx="40" cy="30" r="3.5" fill="#212121" />
      <circle cx="25" cy="29" r="1.2" fill="#fff" />
      <circle cx="41" cy="29" r="1.2" fill="#fff" />
      <ellipse cx="32" cy="40" rx="4.5" ry="3.2" fill="#212121" />
      <path
        d="M32 43 L32 46 M27 47 C30 50 34 50 37 47"
        stroke="#212121"
        strokeWidth="2"
        fill="none"
      />
      <path d="M35 49 C35 54 40 54 40 49 Z" fill="#e57373" />
    </Svg>
  );
}

export function Robot() {
  return (
    <Svg>
      <line x1="32" y1="6" x2="32" y2="14" stroke="#78909c" strokeWidth="3" />
      <circle cx="32" cy="6" r="4" fill="#ff7043" />
      <rect
        x="12"
        y="14"
        width="40"
        height="36"
        rx="8"
        fill="#90a4ae"
        stroke="#546e7a"
        strokeWidth="2"
      />
      <rect x="6" y="26" width="6" height="12" rx="2" fill="#607d8b" />
      <rect x="52" y="26" width="6" height="12" rx="2" fill="#607d8b" />
      <circle cx="24" cy="28" r="6" fill="#263238" />
      <circle cx="40" cy="28" r="6" fill="#263238" />
      <circle cx="24" cy="28" r="2.5" fill="#4dd0e1" />
      <circle cx="40" cy="28" r="2.5" fill="#4dd0e1" />
      <rect x="20" y="39" width="24" height="6" rx="2" fill="#263238" />
      <path d="M26 39 V45 M32 39 V45 M38 39 V45" stroke="#90a4ae" strokeWidth="1.5" />
      <rect x="22" y="52" width="20" height="6" rx="2" fill="#607d8b" />
    </Svg>
  );
}

export function Star() {
  return (
    <Svg>
      <path
        d="M32 4 L40 23 L60 24 L44 37 L50 58 L32 46 L14 58 L20 37 L4 24 L24 23 Z"
        fill="#ffca28"
        stroke="#f57f17"
        strokeWidth="2.5"
        strokeLinejoin="round"
      />
      <path d="M32 14 L36 25" stroke="#fff8e1" strokeWidth="3" strokeLinecap="round" />
    </Svg>
  );
}

export function Seven() {
  return (
    <Svg>
      <path
        d="M12 8 H54 V18 C44 28 36 42 33 58 H19 C22 42 30 28 38 20 H22 V26 H12 Z"
        fill="#e53935"
        stroke="#7f0000"
        strokeWidth="3"
        strokeLinejoin="round"
      />
      <path d="M16 12 H48" stroke="#ffcdd2" strokeWidth="2.5" strokeLinecap="round" />
    </Svg>
  );
}

/** A symbol this build does not know yet (a later stage could add one): its name, in a tile. */
function UnknownSymbol({ name }: { name: string }) {
  return (
    <Svg>
      <rect x="4" y="4" width="56" height="56" rx="10" fill="#37474f" />
      <text x="32" y="38" fontSize="12" textAnchor="middle" fill="#fff">
        {name.slice(0, 8)}
      </text>
    </Svg>
  );
}

const ART: Record<string, () => ReactNode> = {
  cherry: Cherry,
  bell: Bell,
  puppy: Puppy,
  robot: Robot,
  star: Star,
  seven: Seven,
};

export function SymbolArt({ id, name }: { id: string; name?: string }) {
  const Art = ART[id];
  return Art ? <Art /> : <UnknownSymbol name={name ?? id} />;
}
