// Sign-in: reads /discovery, then either asks natter's /dev/token (--dev) or runs OpenID Connect
// (authorization code with PKCE, silent renewal) with oidc-client-ts. Tokens stay in memory
// and sessionStorage only.

import type { User, UserManager } from 'oidc-client-ts';
import { decodeClaims, type Claims } from './jwt';

export interface Discovery {
  dev: boolean;
  oidcIssuer: string | null;
  webClientId: string | null;
  maxMessageBytes: number;
  serverName: string;
}

export const kDefaultMaxMessageBytes = 4096;
const kDevTokenKey = 'natter.devToken';

/** Reads the discovery document defensively: anything missing takes its default. */
export function parseDiscovery(raw: unknown): Discovery {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const max = o.max_message_bytes;
  const authUrl = str(o.auth_url) ?? '';
  return {
    dev: o.dev === true || (o.dev === undefined && authUrl.endsWith('/dev/token')),
    oidcIssuer: str(o.oidc_issuer),
    webClientId: str(o.web_client_id),
    maxMessageBytes: typeof max === 'number' && max > 0 ? Math.floor(max) : kDefaultMaxMessageBytes,
    serverName: str(o.server_name) ?? 'natter',
  };
}

export async function fetchDiscovery(): Promise<Discovery> {
  const res = await fetch('/discovery', { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`discovery answered ${res.status}`);
  return parseDiscovery(await res.json());
}

export interface Session {
  token: string;
  claims: Claims;
}

/** Holds the token of whoever is signed in and tells when it changes. */
export class Auth {
  session: Session | null = null;
  /** Why the user is asked to sign in again, when it was not their choice. */
  notice: string | null = null;
  private manager: UserManager | null = null;
  private listeners = new Set<(s: Session | null, renewed: boolean) => void>();

  constructor(readonly discovery: Discovery) {}

  /** Loads oidc-client-ts only when this server uses OpenID Connect. */
  private async ensureManager(): Promise<UserManager | null> {
    if (this.manager || !this.oidc) return this.manager;
    const { UserManager: Manager, WebStorageStateStore } = await import('oidc-client-ts');
    const d = this.discovery;
    const m = new Manager({
      authority: d.oidcIssuer!,
      client_id: d.webClientId!,
      redirect_uri: `${location.origin}/chat/callback`,
      silent_redirect_uri: `${location.origin}/chat/silent-callback`,
      post_logout_redirect_uri: `${location.origin}/chat`,
      response_type: 'code',
      scope: 'openid profile',
      automaticSilentRenew: true,
      userStore: new WebStorageStateStore({ store: window.sessionStorage }),
      stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    });
    m.events.addUserLoaded((u) => this.fromUser(u, true));
    m.events.addUserUnloaded(() => this.set(null, false));
    m.events.addSilentRenewError((e) => console.warn('natter: silent renew failed', e));
    this.manager = m;
    return m;
  }

  get oidc(): boolean {
    return !this.discovery.dev && this.discovery.oidcIssuer !== null
      && this.discovery.webClientId !== null;
  }

  /** Whether this server offers any way to sign in from the browser. */
  get available(): boolean {
    return this.discovery.dev || this.oidc;
  }

  onChange(fn: (s: Session | null, renewed: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(s: Session | null, renewed: boolean): void {
    this.session = s;
    for (const fn of this.listeners) fn(s, renewed);
  }

  private fromUser(u: User | null, renewed: boolean): void {
    const claims = u && !u.expired ? decodeClaims(u.access_token) : null;
    this.set(u && claims ? { token: u.access_token, claims } : null, renewed);
  }

  /** Restores a session from sessionStorage, or finishes an OIDC redirect. */
  async restore(path: string): Promise<string | null> {
    const manager = await this.ensureManager();
    if (manager) {
      if (path === '/chat/callback') {
        const u = await manager.signinRedirectCallback();
        this.fromUser(u, false);
        const back = (u.state as { path?: string } | undefined)?.path;
        return typeof back === 'string' && back.startsWith('/') ? back : '/chat';
      }
      this.fromUser(await manager.getUser(), false);
      return null;
    }
    const saved = sessionStorage.getItem(kDevTokenKey);
    const claims = saved ? decodeClaims(saved) : null;
    if (saved && claims && (!claims.exp || claims.exp * 1000 > Date.now())) {
      this.set({ token: saved, claims }, false);
    } else if (saved) {
      sessionStorage.removeItem(kDevTokenKey);
    }
    return null;
  }

  async signInDev(username: string, admin: boolean): Promise<void> {
    const q = new URLSearchParams({ username });
    if (admin) q.set('admin', '1');
    const res = await fetch(`/dev/token?${q}`);
    const body = (await res.text()).trim();
    if (!res.ok) {
      let msg = `the server answered ${res.status}`;
      try {
        msg = (JSON.parse(body) as { error: { message: string } }).error.message || msg;
      } catch {
        /* not JSON: keep the status */
      }
      throw new Error(msg);
    }
    const claims = decodeClaims(body);
    if (!claims) throw new Error('the server sent a token that cannot be read');
    sessionStorage.setItem(kDevTokenKey, body);
    this.notice = null;
    this.set({ token: body, claims }, false);
  }

  async signInOidc(returnPath: string): Promise<void> {
    await (await this.ensureManager())?.signinRedirect({ state: { path: returnPath } });
  }

  /** After a 4001 or a 401: renew silently when we can, else sign out so the form shows. */
  async expired(): Promise<void> {
    if (this.manager) {
      try {
        const u = await this.manager.signinSilent();
        if (u) {
          this.fromUser(u, true);
          return;
        }
      } catch (e) {
        console.warn('natter: silent renew failed', e);
      }
      await this.manager.removeUser();
    } else {
      sessionStorage.removeItem(kDevTokenKey);
    }
    this.notice = 'Your sign-in expired: sign in again.';
    this.set(null, false);
  }

  async signOut(): Promise<void> {
    if (this.manager) {
      await this.manager.removeUser();
      this.set(null, false);
      await this.manager.signoutRedirect().catch(() => undefined);
      return;
    }
    sessionStorage.removeItem(kDevTokenKey);
    this.set(null, false);
  }
}

/** The silent-renew iframe loads index.html at this path; it only hands the answer back. */
export async function silentCallback(): Promise<void> {
  const { UserManager: Manager } = await import('oidc-client-ts');
  await new Manager({ authority: location.origin, client_id: 'natter', redirect_uri: '' })
    .signinSilentCallback();
}

/** Asks dev mode's fallback: does /dev/token answer (only on loopback, only with --dev)? */
export async function probeDev(): Promise<boolean> {
  try {
    const res = await fetch('/dev/token?username=probe');
    return res.ok;
  } catch {
    return false;
  }
}
