/**
 * The symbols on the reels. Ids are stable: they are stored in spin history and sent to
 * clients, so an id is never renamed; only the display name may change.
 * Listed from the most common to the rarest.
 */
export const SYMBOLS = [
  { id: 'cherry', name: 'Cherry' },
  { id: 'bell', name: 'Bell' },
  { id: 'puppy', name: 'Puppy' },
  { id: 'robot', name: 'Robot' },
  { id: 'star', name: 'Star' },
  { id: 'seven', name: 'Seven' },
] as const;

export type SymbolId = (typeof SYMBOLS)[number]['id'];

export const SYMBOL_IDS: readonly SymbolId[] = SYMBOLS.map((symbol) => symbol.id);

export function isSymbolId(value: string): value is SymbolId {
  return (SYMBOL_IDS as readonly string[]).includes(value);
}
