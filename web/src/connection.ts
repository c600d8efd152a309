// The one connection to natter: owns the WebSocket, its state, the reconnect backoff and the
// `since` it resumes from, and feeds every parsed server message to the store. Screens read
// the state and call send(); they never touch the socket.

import { parseServerMessage, type ClientMessage } from './protocol';
import type { ChatStore } from './store';

export type ConnectionState =
  | 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'banned' | 'expired';

export type CloseAction = 'reconnect' | 'banned' | 'reauth' | 'stop';

/** What a close code means for the user (PROTOCOL.md, close codes). */
export function closeAction(code: number): CloseAction {
  switch (code) {
    case 4003:
      return 'banned';
    case 4001:
      return 'reauth';
    case 1000:
      return 'stop';
    default:
      return 'reconnect'; // 1001 shutdown, 4008 too slow, 1006 network, anything else
  }
}

export const kBackoffBaseMs = 500;
export const kBackoffMaxMs = 15_000;
export const kJitter = 0.3;

/** The wait before reconnect attempt `attempt` (0-based): doubling, capped, ±30% jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(kBackoffMaxMs, kBackoffBaseMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - kJitter + 2 * kJitter * random()));
}

export function wsUrl(loc: { protocol: string; host: string }, since: number): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws${since > 0 ? `?since=${since}` : ''}`;
}

export interface ConnectionDeps {
  store: ChatStore;
  /** The current access token (it may have been renewed since the last connect). */
  token: () => string | null;
  /** Called when the token expired (4001, or a refused upgrade that /channels says is a 401). */
  onExpired: () => void;
  /** Checks the token when a connect fails before opening: 'ok', 'unauthorized' or 'unknown'. */
  probe: (token: string) => Promise<'ok' | 'unauthorized' | 'unknown'>;
}

const kPingIntervalMs = 25_000;
/** Set when the server closed with 4003, so that a refused upgrade after a reload still says so. */
const kBannedKey = 'natter.banned';
/** A refused upgrade cannot be told from a network failure: every few failures, ask REST why. */
const kProbeEvery = 3;

export class Connection {
  state: ConnectionState = 'offline';
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pinger: ReturnType<typeof setInterval> | null = null;
  private stopped = true;
  private listeners = new Set<() => void>();
  private readonly onOnline = () => {
    if (!this.stopped && this.state === 'reconnecting') this.connectNow();
  };

  constructor(private deps: ConnectionDeps) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private setState(s: ConnectionState): void {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.listeners) fn();
  }

  start(): void {
    this.stopped = false;
    this.attempt = 0;
    window.addEventListener('online', this.onOnline);
    this.open('connecting');
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000);
    this.setState('offline');
  }

  /** Tries again at once (the user asked, or the network came back). */
  connectNow(): void {
    if (this.stopped) this.stopped = false;
    this.clearTimers();
    if (this.ws) return;
    this.open('reconnecting');
  }

  send(msg: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Hands a renewed token to the open socket so the session outlives the old token. */
  refreshToken(token: string): void {
    this.send({ type: 'refresh_token', token });
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.pinger) clearInterval(this.pinger);
    this.timer = null;
    this.pinger = null;
  }

  private open(state: ConnectionState): void {
    const token = this.deps.token();
    if (!token) {
      this.setState('expired');
      this.deps.onExpired();
      return;
    }
    this.setState(state);
    let opened = false;
    const ws = new WebSocket(wsUrl(location, this.deps.store.lastPublicId), ['bearer', token]);
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      sessionStorage.removeItem(kBannedKey);
      this.attempt = 0;
      this.setState('connected');
      this.pinger = setInterval(() => this.send({ type: 'ping' }), kPingIntervalMs);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      const msg = parseServerMessage(ev.data);
      if (!msg) return;
      this.deps.store.apply(msg);
      if (msg.type === 'connected_users') this.deps.store.connectSequenceDone();
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearTimers();
      if (this.stopped) return;
      void this.afterClose(ev.code, opened, token);
    };
  }

  private async afterClose(code: number, opened: boolean, token: string): Promise<void> {
    let action = closeAction(code);
    if (!opened && action === 'reconnect' && this.attempt % kProbeEvery === 0) {
      const verdict = await this.deps.probe(token).catch(() => 'unknown' as const);
      if (verdict === 'unauthorized') action = 'reauth';
      else if (verdict === 'ok' && sessionStorage.getItem(kBannedKey)) action = 'banned';
    }
    if (this.stopped) return;
    if (action === 'banned') {
      sessionStorage.setItem(kBannedKey, '1');
      this.stopped = true;
      this.setState('banned');
      return;
    }
    if (action === 'reauth') {
      this.setState('expired');
      this.deps.onExpired();
      return;
    }
    if (action === 'stop') {
      this.setState('offline');
      return;
    }
    const delay = backoffDelay(this.attempt++);
    this.setState(navigator.onLine === false ? 'offline' : 'reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.open('reconnecting');
    }, delay);
  }
}
