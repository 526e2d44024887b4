/**
 * The titles on sale, cheapest first. A new player starts with 1,000 credits: two titles are within
 * reach at once, and one takes a lot of winning (until then, it is refused: insufficient credits).
 * The catalog is code, not data: the purchase record keeps the price it was bought at.
 */
export const TITLES = [
  { id: 'lucky-seven', name: 'Lucky Seven', price: 100 },
  { id: 'high-roller', name: 'High Roller', price: 500 },
  { id: 'reel-legend', name: 'Reel Legend', price: 50000 },
] as const satisfies readonly { id: string; name: string; price: number }[];

export type Title = (typeof TITLES)[number];
export type TitleId = Title['id'];

export function findTitle(id: string): Title | undefined {
  return TITLES.find((title) => title.id === id);
}
