// The app's frame: discovery and sign-in, then the header (connection indicator, Admin link,
// sign out) over the chat or the admin console. Owns the store and the one connection.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { Auth, fetchDiscovery, type Discovery, type Session } from '../auth';
import { Connection, type ConnectionState } from '../connection';
import { ChatStore } from '../store';
import { Api } from '../api';
import { navigate, usePath } from '../router';
import { useObserve } from '../hooks';
import { SignIn } from './SignIn';
import { ChatView } from './ChatView';
import { AdminView } from './AdminView';

const stateText: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  banned: 'Banned',
  expired: 'Signed out',
};

export function App() {
  const [discovery, setDiscovery] = useState<Discovery | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    fetchDiscovery().then(setDiscovery, (e) => setFailure(String(e instanceof Error ? e.message : e)));
  }, []);
  if (failure) {
    return (
      <main class="signin">
        <h1>natter</h1>
        <p role="alert">{`The server cannot be reached (${failure}).`}</p>
        <button type="button" onClick={() => location.reload()}>Try again</button>
      </main>
    );
  }
  if (!discovery) return <p class="loading" role="status">Loading…</p>;
  return <Signed discovery={discovery} />;
}

function Signed({ discovery }: { discovery: Discovery }) {
  const auth = useMemo(() => new Auth(discovery), [discovery]);
  const [session, setSession] = useState<Session | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const path = usePath();

  useEffect(() => {
    const off = auth.onChange((s) => setSession(s));
    auth.restore(location.pathname).then(
      (back) => {
        if (back) navigate(back, true);
        setReady(true);
      },
      (e) => {
        setError(`Sign-in did not complete: ${e instanceof Error ? e.message : String(e)}`);
        navigate('/chat', true);
        setReady(true);
      },
    );
    return off;
  }, [auth]);

  useEffect(() => {
    if (path === '/' || (!path.startsWith('/chat') && !path.startsWith('/admin'))) navigate('/chat', true);
  }, [path]);

  if (!ready) return <p class="loading" role="status">Signing in…</p>;
  if (!session) {
    return (
      <>
        {(error ?? auth.notice) && <p class="error banner" role="alert">{error ?? auth.notice}</p>}
        <SignIn auth={auth} returnPath={path === '/chat/callback' ? '/chat' : path} />
      </>
    );
  }
  return <Shell key={session.claims.sub} auth={auth} discovery={discovery} path={path} />;
}

function Shell({ auth, discovery, path }: { auth: Auth; discovery: Discovery; path: string }) {
  const session = auth.session!;
  const store = useMemo(() => new ChatStore(), []);
  const api = useMemo(() => new Api(() => auth.session?.token ?? null), [auth]);
  const connection = useMemo(
    () => new Connection({
      store,
      token: () => auth.session?.token ?? null,
      onExpired: () => void auth.expired().then(() => {
        if (auth.session) connection.connectNow();
      }),
      probe: async (token) => {
        try {
          const res = await fetch('/channels', { headers: { Authorization: `Bearer ${token}` } });
          return res.status === 401 ? 'unauthorized' : res.ok ? 'ok' : 'unknown';
        } catch {
          return 'unknown';
        }
      },
    }),
    [store, auth],
  );
  useObserve(store);
  useObserve(connection);

  useEffect(() => {
    store.setMe({ id: session.claims.sub, username: session.claims.preferred_username });
    connection.start();
    const off = auth.onChange((s, renewed) => {
      if (s && renewed) connection.refreshToken(s.token);
    });
    return () => {
      off();
      connection.stop();
    };
  }, [connection]);

  const admin = session.claims.admin;
  const inAdmin = path.startsWith('/admin');

  if (connection.state === 'banned') {
    return (
      <main class="banned">
        <h1>You are banned</h1>
        <p>An admin of this server has banned you; the connection was closed.</p>
        <p class="row">
          <button type="button" onClick={() => connection.connectNow()}>Try again</button>
          <button type="button" class="secondary" onClick={() => void auth.signOut()}>Sign out</button>
        </p>
      </main>
    );
  }

  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/chat">{discovery.serverName}</a>
        <p role="status" class={`conn conn-${connection.state}`}>
          <span class="dot" aria-hidden="true" />
          {stateText[connection.state]}
        </p>
        {connection.state === 'reconnecting' && (
          <button type="button" class="secondary small" onClick={() => connection.connectNow()}>
            Reconnect now
          </button>
        )}
        <span class="spacer" />
        {inAdmin ? <a href="/chat">Chat</a> : admin && <a href="/admin/overview">Admin</a>}
        <span class="whoami">{session.claims.preferred_username}</span>
        <button type="button" class="secondary small" onClick={() => void auth.signOut()}>
          Sign out
        </button>
      </header>
      {inAdmin ? (
        admin ? (
          <AdminView api={api} path={path} store={store} />
        ) : (
          <main class="page"><p role="alert">You are not an admin on this server.</p></main>
        )
      ) : (
        <ChatView store={store} connection={connection} path={path}
                  maxBytes={discovery.maxMessageBytes} />
      )}
    </div>
  );
}
