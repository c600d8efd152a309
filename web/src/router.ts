// History API routing: the current path, navigation, and the routes the app knows.

import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function navigate(path: string, replace = false): void {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const fn of listeners) fn();
}

window.addEventListener('popstate', () => {
  for (const fn of listeners) fn();
});

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const fn = () => setPath(location.pathname);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return path;
}

/** Follows same-origin links inside the app without reloading the page. */
export function onLinkClick(ev: MouseEvent): void {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = (ev.target as Element | null)?.closest?.('a');
  if (!a || a.target || a.origin !== location.origin) return;
  const p = a.pathname;
  if (!p.startsWith('/chat') && !p.startsWith('/admin')) return;
  ev.preventDefault();
  navigate(p);
}

export type ChatRoute =
  | { kind: 'home' }
  | { kind: 'channel'; name: string }
  | { kind: 'dm'; userId: string };

export function chatRoute(path: string): ChatRoute {
  const m = /^\/chat\/(channel|dm)\/([^/]+)\/?$/.exec(path);
  if (!m) return { kind: 'home' };
  let value: string;
  try {
    value = decodeURIComponent(m[2]);
  } catch {
    return { kind: 'home' };
  }
  return m[1] === 'channel' ? { kind: 'channel', name: value } : { kind: 'dm', userId: value };
}

export const channelPath = (name: string) => `/chat/channel/${encodeURIComponent(name)}`;
export const dmPath = (userId: string) => `/chat/dm/${encodeURIComponent(userId)}`;

export const adminSections = [
  ['overview', 'Overview'],
  ['channels', 'Channels'],
  ['messages', 'Messages'],
  ['users', 'Users'],
  ['bans', 'Bans'],
  ['settings', 'Settings'],
] as const;

export type AdminSection = (typeof adminSections)[number][0];

export function adminSection(path: string): AdminSection {
  const m = /^\/admin\/([a-z]+)\/?$/.exec(path);
  const found = adminSections.find(([id]) => id === m?.[1]);
  return found ? found[0] : 'overview';
}
