import { lazy, type ReactNode } from 'react';
import { AuthPage } from '../features/auth/AuthPage.tsx';
import { SlotsPage } from '../features/slots/SlotsPage.tsx';

// The game is the landing page and ships in the first bundle; the rest loads when first visited.
const ForumPage = lazy(() =>
  import('../features/forum/ForumPage.tsx').then((m) => ({ default: m.ForumPage })),
);
const ThreadPage = lazy(() =>
  import('../features/forum/ThreadPage.tsx').then((m) => ({ default: m.ThreadPage })),
);
const ShopPage = lazy(() =>
  import('../features/shop/ShopPage.tsx').then((m) => ({ default: m.ShopPage })),
);
const LeaderboardPage = lazy(() =>
  import('../features/leaderboard/LeaderboardPage.tsx').then((m) => ({
    default: m.LeaderboardPage,
  })),
);

export interface Route {
  /** Names the feature in error messages ("The forum stopped working"). */
  area: string;
  title: string;
  element: ReactNode;
}

/** Maps a pathname to its page. Plain code instead of a route table: there are a handful of pages. */
export function matchRoute(pathname: string, search: string): Route {
  if (pathname === '/') return { area: 'The slot machine', title: 'Slots', element: <SlotsPage /> };
  if (pathname === '/login') {
    const expired = new URLSearchParams(search).has('expired');
    return {
      area: 'Log-in',
      title: 'Log in',
      element: <AuthPage mode="login" expired={expired} />,
    };
  }
  if (pathname === '/register') {
    return { area: 'Registration', title: 'Register', element: <AuthPage mode="register" /> };
  }
  if (pathname === '/forum') return { area: 'The forum', title: 'Forum', element: <ForumPage /> };
  const thread = /^\/forum\/([^/]+)$/.exec(pathname);
  if (thread?.[1]) {
    const id = decodeURIComponent(thread[1]);
    return { area: 'The forum', title: 'Thread', element: <ThreadPage key={id} id={id} /> };
  }
  if (pathname === '/shop') {
    return { area: 'The titles shop', title: 'Titles shop', element: <ShopPage /> };
  }
  if (pathname === '/leaderboard') {
    return { area: 'The leaderboard', title: 'Leaderboard', element: <LeaderboardPage /> };
  }
  return {
    area: 'This page',
    title: 'Not found',
    element: (
      <section className="panel">
        <h1>Page not found</h1>
        <p>There is nothing at {pathname}.</p>
      </section>
    ),
  };
}
