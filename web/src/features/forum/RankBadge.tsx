import { formatOrdinal } from './format.ts';

/**
 * The author's place on the slots leaderboard, next to their name. The forum only sends it for
 * the top ten, and leaves it out when the slots service did not answer in time: callers render
 * nothing then, so the thread reads the same, just without badges.
 *
 * A trophy and "#3" are shorthand for the eye; screen readers get the words instead. The trophy
 * is drawn inline rather than taken from an emoji font, which not every machine has.
 */
export function RankBadge({ rank }: { rank: number }) {
  const label = `${formatOrdinal(rank)} on the slots leaderboard`;
  return (
    <span className="rank-badge">
      <span aria-hidden="true" title={label}>
        <svg className="rank-badge-trophy" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
          <path d="M4 1h8v1h3v2a4 4 0 0 1-3.6 4A4 4 0 0 1 9 10.9V13h3v2H4v-2h3v-2.1A4 4 0 0 1 4.6 8 4 4 0 0 1 1 4V2h3zm0 2.5H2.5V4A2.5 2.5 0 0 0 4 6.3zm8 0v2.8A2.5 2.5 0 0 0 13.5 4v-.5z" />
        </svg>
        #{rank}
      </span>
      <span className="visually-hidden">{label}</span>
    </span>
  );
}
