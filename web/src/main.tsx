import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, forgetKey, getJson, setUnauthorizedHandler, storedKey, storeKey } from './api.js';
import { ErrorBox, Loading } from './components.js';
import { ConnectPage } from './pages/connect.js';
import { LoginPage } from './pages/login.js';
import { SyncPage } from './pages/sync.js';
import { TenantsPage } from './pages/tenants.js';
import { UsagePage } from './pages/usage.js';
import { UserPage } from './pages/user.js';
import { UsersPage } from './pages/users.js';
import { href, navigate, useRoute } from './router.js';
import { can, mayOpen, SessionContext, type Session } from './session.js';
import type { ConsoleSettings, Me } from './types.js';
import './style.css';

/**
 * A demo or operator may open the console with `#key=<key>` (never a query string: a fragment is
 * not sent to any server). It is moved to sessionStorage and removed from the address bar and the
 * history entry before anything renders.
 */
function takeKeyFromFragment(): void {
  const match = /^#key=([^&]+)(?:&tenant=([A-Za-z0-9_-]{1,64}))?$/.exec(location.hash);
  if (!match?.[1]) return;
  storeKey(decodeURIComponent(match[1]));
  history.replaceState(null, '', `${location.pathname}${match[2] ? `#/t/${match[2]}/sync` : '#/'}`);
}

async function loadSession(key: string): Promise<Pick<Session, 'me' | 'settings'>> {
  const me = await getJson<Me>('/v1/me', key);
  const settings = await getJson<ConsoleSettings>('/v1/console/settings', key);
  return { me, settings };
}

function homeOf(me: Me): string {
  if (me.tenantId) return href(['t', me.tenantId, 'sync']);
  return can(me, 'admin') ? href(['tenants']) : href(['connect']);
}

function App() {
  const route = useRoute();
  const [session, setSession] = useState<Pick<Session, 'me' | 'settings'> | null>(null);
  const [restoring, setRestoring] = useState(storedKey() !== null);
  const [restoreError, setRestoreError] = useState<Error | undefined>();

  const logout = () => {
    forgetKey();
    setSession(null);
    navigate('#/login');
  };

  useEffect(() => {
    setUnauthorizedHandler(logout);
    const key = storedKey();
    if (!key) return;
    loadSession(key).then(
      (loaded) => {
        setSession(loaded);
        setRestoring(false);
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) forgetKey();
        else setRestoreError(error as Error);
        setRestoring(false);
      },
    );
  }, []);

  if (restoring) return <Loading what="your session" />;
  if (!session) {
    return (
      <main id="main">
        <ErrorBox error={restoreError} />
        <LoginPage
          onLogin={async (key) => {
            const loaded = await loadSession(key);
            storeKey(key);
            setSession(loaded);
            navigate(homeOf(loaded.me));
          }}
        />
      </main>
    );
  }

  const { me } = session;
  const [section, tenantParam, page, sub] = route.path;
  const tenantId = section === 't' ? tenantParam : me.tenantId ?? undefined;
  let content;
  if (section === 'tenants') {
    content = can(me, 'admin') ? <TenantsPage params={route.params} /> : <ErrorBox error={new Error('Only admin keys list tenants.')} />;
  } else if (section === 'connect') {
    content = <ConnectPage tenantId={me.tenantId ?? undefined} />;
  } else if (section === 't' && tenantParam) {
    if (!mayOpen(me, tenantParam)) content = <ErrorBox error={new Error(`This key is bound to tenant ${me.tenantId}.`)} />;
    else if (page === 'connect') content = <ConnectPage tenantId={tenantParam} />;
    else if (page === 'usage') content = <UsagePage tenantId={tenantParam} params={route.params} />;
    else if (page === 'users' && sub) content = <UserPage tenantId={tenantParam} userId={sub} />;
    else if (page === 'users') content = <UsersPage tenantId={tenantParam} params={route.params} />;
    else content = <SyncPage tenantId={tenantParam} />;
  } else {
    // '#/', '#/login' or anything unknown once logged in: the key's home page.
    queueMicrotask(() => navigate(homeOf(me)));
    content = <Loading what="the console" />;
  }

  return (
    <SessionContext.Provider value={{ ...session, logout }}>
      <a class="skip" href="#main" onClick={(event) => { event.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <strong class="brand">duo-usage-sync</strong>
        <nav aria-label="Main">
          <ul>
            {can(me, 'admin') ? <li><a href={href(['tenants'])} aria-current={section === 'tenants' ? 'page' : undefined}>Tenants</a></li> : null}
            {tenantId ? (
              <>
                <li><a href={href(['t', tenantId, 'sync'])} aria-current={page === 'sync' || (section === 't' && !page) ? 'page' : undefined}>Sync</a></li>
                <li><a href={href(['t', tenantId, 'usage'])} aria-current={page === 'usage' ? 'page' : undefined}>Usage</a></li>
                <li><a href={href(['t', tenantId, 'users'])} aria-current={page === 'users' ? 'page' : undefined}>Users</a></li>
              </>
            ) : null}
            {can(me, 'integrations:write') ? (
              <li><a href={tenantId ? href(['t', tenantId, 'connect']) : href(['connect'])} aria-current={page === 'connect' || section === 'connect' ? 'page' : undefined}>Connect</a></li>
            ) : null}
          </ul>
        </nav>
        <span class="who">
          {tenantId ? <span class="tenant">Tenant <strong>{tenantId}</strong> · </span> : null}
          Key <strong>{me.name}</strong>
          <button type="button" class="link" onClick={logout}>Log out</button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {content}
      </main>
    </SessionContext.Provider>
  );
}

takeKeyFromFragment();
render(<App />, document.getElementById('app')!);
