import { Suspense, useEffect } from 'react';
import { Seven } from '../features/slots/symbols.tsx';
import { ServedByPanel } from '../features/trace/ServedByPanel.tsx';
import { ErrorBoundary } from '../lib/ErrorBoundary.tsx';
import { Link, navigate, usePathname } from '../lib/router.tsx';
import { type Services, ServicesProvider, useCurrentSession } from '../lib/services.tsx';
import { matchRoute } from './routes.tsx';
import './app.css';

/** The shell: header and navigation, the current page, and the "Served by" panel. */
export function App({ services }: { services: Services }) {
  return (
    <ServicesProvider services={services}>
      <Shell services={services} />
    </ServicesProvider>
  );
}

function Shell({ services }: { services: Services }) {
  const pathname = usePathname();
  const route = matchRoute(pathname, window.location.search);
  useEffect(() => {
    document.title = `${route.title} · Slots & Forum`;
  }, [route.title]);
  const wide = window.matchMedia?.('(min-width: 900px)').matches ?? true;

  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="header">
        <Link href="/" className="brand">
          <span className="brand__logo" aria-hidden="true">
            <Seven />
          </span>
          Slots &amp; Forum
        </Link>
        <Nav pathname={pathname} />
        <UserMenu services={services} />
      </header>
      <main id="main" className="main">
        {/* One boundary per page: a crash in the forum leaves the header and panel working. */}
        <ErrorBoundary key={pathname} area={route.area}>
          <Suspense fallback={<p className="loading">Loading…</p>}>{route.element}</Suspense>
        </ErrorBoundary>
      </main>
      <aside className="sidebar" aria-label="Served by">
        <ErrorBoundary area="The Served-by panel">
          <ServedByPanel trace={services.trace} startOpen={wide} />
        </ErrorBoundary>
      </aside>
    </div>
  );
}

const NAV_ITEMS = [
  { href: '/', label: 'Slots' },
  { href: '/forum', label: 'Forum' },
  { href: '/leaderboard', label: 'Leaderboard' },
  { href: '/shop', label: 'Shop' },
];

function Nav({ pathname }: { pathname: string }) {
  return (
    <nav aria-label="Main" className="nav">
      {NAV_ITEMS.map((item) => {
        const current = item.href === '/' ? pathname === '/' : pathname.startsWith(item.href);
        return (
          <Link key={item.href} href={item.href} aria-current={current ? 'page' : undefined}>
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}

function UserMenu({ services }: { services: Services }) {
  const session = useCurrentSession();
  if (!session) {
    return (
      <div className="user">
        <Link href="/login">Log in</Link>
        <Link href="/register" className="button button--small">
          Register
        </Link>
      </div>
    );
  }
  return (
    <div className="user">
      <span className="user__name">{session.user.username}</span>
      <button
        type="button"
        className="button button--small button--secondary"
        onClick={() => {
          services.session.clear();
          navigate('/login');
        }}
      >
        Log out
      </button>
    </div>
  );
}
