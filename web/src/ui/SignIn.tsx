// The sign-in screen: in --dev a form (textbox "Username", checkbox "Admin", button "Sign in")
// that takes a token from /dev/token; with an identity provider, one button that starts OIDC.

import { useState } from 'preact/hooks';
import type { Auth } from '../auth';

export function SignIn({ auth, returnPath }: { auth: Auth; returnPath: string }) {
  const [username, setUsername] = useState('');
  const [admin, setAdmin] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    setBusy(true);
    try {
      if (auth.discovery.dev) {
        const name = username.trim();
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
          throw new Error('Use 1 to 64 letters, digits, "_", "-" or "." for the username.');
        }
        await auth.signInDev(name, admin);
      } else {
        await auth.signInOidc(returnPath);
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <h1>{auth.discovery.serverName}</h1>
      <form onSubmit={submit} aria-label="Sign in">
        {auth.discovery.dev ? (
          <>
            <p class="hint">Development mode: natter signs its own tokens.</p>
            <label for="username">Username</label>
            <input id="username" name="username" autoComplete="username" required autoFocus
                   value={username}
                   onInput={(ev) => setUsername((ev.target as HTMLInputElement).value)} />
            <label class="check">
              <input type="checkbox" checked={admin}
                     onChange={(ev) => setAdmin((ev.target as HTMLInputElement).checked)} />
              Admin
            </label>
          </>
        ) : auth.oidc ? (
          <p class="hint">You sign in with your organisation's account.</p>
        ) : (
          <p class="hint">This server offers no sign-in for the browser (no identity provider set).</p>
        )}
        {error && <p class="error" role="alert">{`Sign-in failed: ${error}`}</p>}
        {auth.available && <button type="submit" disabled={busy}>Sign in</button>}
      </form>
    </main>
  );
}
