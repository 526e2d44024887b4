import { formatOrdinal } from './format.ts';

/**
 * The author's place on the slots leaderboard, next to their name. The forum only sends it for
 * the top ten, and leaves it out when the slots service did not answer in time: callers render
 * nothing then, so the thread reads the same, just without badges.
 *
 * "🏆 #3" is shorthand for the eye; screen readers get the words instead of "trophy number 3".
 */
export function RankBadge({ rank }: { rank: number }) {
  const label = `${formatOrdinal(rank)} on the slots leaderboard`;
  return (
    <span className="rank-badge">
      <span aria-hidden="true" title={label}>
        🏆 #{rank}
      </span>
      <span className="visually-hidden">{label}</span>
    </span>
  );
}
