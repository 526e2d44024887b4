import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import { call } from '../../lib/problem.ts';
import { useApi, useCurrentSession } from '../../lib/services.tsx';
import { useResource } from '../../lib/use-resource.ts';
import './leaderboard.css';

// Seconds shown: a spin reaches a leaderboard built from events within about a second.
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** The top ten balances, as the server ranks them. */
export function LeaderboardPage() {
  const api = useApi();
  const session = useCurrentSession();
  const [board, { reload }] = useResource(() => call(api.GET('/api/slots/leaderboard')), [api]);

  return (
    <section className="panel leaderboard" aria-labelledby="leaderboard-heading">
      <h1 id="leaderboard-heading">Leaderboard</h1>
      {board.state === 'loading' ? <p className="loading">Loading the leaderboard…</p> : null}
      {board.state === 'failed' ? (
        <ProblemMessage problem={board.problem} onRetry={reload} />
      ) : null}
      {board.state === 'ready' && board.data.items.length === 0 ? (
        <p className="muted">Nobody has played yet.</p>
      ) : null}
      {board.state === 'ready' && board.data.items.length > 0 ? (
        <table className="leaderboard__table">
          <caption className="visually-hidden">Top players by balance</caption>
          <thead>
            <tr>
              <th scope="col">Rank</th>
              <th scope="col">Player</th>
              <th scope="col">Balance</th>
            </tr>
          </thead>
          <tbody>
            {board.data.items.map((entry) => (
              <tr
                key={entry.userId}
                className={entry.userId === session?.user.id ? 'leaderboard__me' : undefined}
              >
                <td>{entry.rank}</td>
                <th scope="row">
                  {entry.username}
                  {entry.userId === session?.user.id ? ' (you)' : ''}
                </th>
                <td>{entry.balance}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {board.state === 'ready' && board.data.asOf !== undefined ? (
        <AsOf iso={board.data.asOf} />
      ) : null}
    </section>
  );
}

/**
 * How fresh the leaderboard is, where the server says (from stage 04 the leaderboard is built
 * from game events, so a spin shows up on it shortly after, not at once).
 */
function AsOf({ iso }: { iso: string }) {
  const at = new Date(iso);
  return (
    <p className="muted leaderboard__as-of">
      As of{' '}
      <time dateTime={iso} title={dateTime.format(at)}>
        {time.format(at)}
      </time>
      <span className="visually-hidden">: the newest game event it reflects</span>
    </p>
  );
}
