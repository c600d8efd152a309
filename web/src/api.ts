// natter's REST API (PROTOCOL.md section 5) for the admin console: one function per route,
// each error turned into words a person understands.

import {
  parseChannel, parseChatMessage, type Channel, type ChatMessage,
} from './protocol';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The words an error is shown in. */
export function describeApiError(status: number, serverMessage: string): string {
  switch (status) {
    case 401:
      return 'Your sign-in is no longer valid: sign in again.';
    case 403:
      return 'You are not an admin on this server.';
    case 409:
      return serverMessage ? `That name is taken (${serverMessage}).` : 'That name is taken.';
    case 503:
      return 'The server cannot do that right now: try again in a moment.';
    case 0:
      return 'The server cannot be reached: try again.';
    default:
      return serverMessage || `The server answered ${status}.`;
  }
}

export interface BanRecord {
  id: string;
  owner_id: string;
  banished_id: string;
  banished_username: string;
  reason?: string;
  start: string;
  end?: string;
  duration?: string;
  pardoned: boolean;
}

export interface UserRow {
  id: string;
  username: string;
  is_banned: boolean;
}

export interface SessionDay {
  session_date: string;
  session_count: number;
  total_duration: string;
}

export interface ChannelCount {
  channel: string;
  message_count: number;
}

export interface RateLimit {
  id: number | string;
  owner_id?: string;
  message_limit: number;
  window_seconds: number;
}

export interface MessageQuery {
  channels: string[];
  keyword: string;
  userId: string;
  limit: number;
  offset: number;
}

type Json = Record<string, unknown>;

export class Api {
  constructor(private token: () => string | null, private onUnauthorized: () => void = () => {}) {}

  private async request(method: string, path: string, body?: unknown): Promise<Json | null> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const t = this.token();
    if (t) headers.Authorization = `Bearer ${t}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network', describeApiError(0, ''));
    }
    const text = await res.text();
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const code = typeof err?.code === 'string' ? err.code : String(res.status);
      const msg = typeof err?.message === 'string' ? err.message : '';
      if (res.status === 401) this.onUnauthorized();
      throw new ApiError(res.status, code, describeApiError(res.status, msg));
    }
    return typeof json === 'object' && json !== null ? (json as Json) : null;
  }

  async channels(): Promise<Channel[]> {
    const j = await this.request('GET', '/channels');
    const list = Array.isArray(j?.channels) ? j.channels : [];
    return list.map(parseChannel).filter((c): c is Channel => c !== null);
  }

  async createChannel(name: string, description?: string): Promise<void> {
    await this.request('POST', '/channels', description ? { name, description } : { name });
  }

  async updateChannel(id: number, change: { name?: string; description?: string }): Promise<void> {
    await this.request('PATCH', '/channels', { id, ...change });
  }

  /** Moves a channel before another (null: to the end). */
  async reorderChannel(id: number, beforeId: number | null): Promise<void> {
    await this.request('PATCH', '/channels', { id, before_id: beforeId });
  }

  async deleteChannel(id: number, purge: boolean): Promise<void> {
    await this.request('DELETE', `/channels?id=${id}${purge ? '&purge=true' : ''}`);
  }

  async searchMessages(q: MessageQuery): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    const p = new URLSearchParams();
    for (const c of q.channels) p.append('channel', c);
    if (q.keyword) p.set('keyword', q.keyword);
    if (q.userId) p.set('user_id', q.userId);
    p.set('limit', String(q.limit));
    p.set('offset', String(q.offset));
    const j = await this.request('GET', `/messages?${p}`);
    const payload = (j?.payload ?? {}) as Json;
    const list = Array.isArray(payload.messages) ? payload.messages : [];
    return {
      messages: list.map(parseChatMessage).filter((m): m is ChatMessage => m !== null),
      hasMore: payload.has_more === true,
    };
  }

  async deleteMessages(ids: number[]): Promise<void> {
    await this.request('DELETE', '/messages', { ids });
  }

  async users(username: string): Promise<UserRow[]> {
    const j = await this.request('GET', `/users?username=${encodeURIComponent(username)}`);
    const users = ((j?.payload ?? {}) as Json).users;
    return Array.isArray(users) ? (users as UserRow[]) : [];
  }

  /** Bans by the user's id; duration in hours, null for a permanent ban. */
  async ban(userId: string, reason: string, durationHours: number | null): Promise<void> {
    await this.request('POST', '/users/ban', {
      banished_id: userId, reason: reason || undefined, duration: durationHours,
    });
  }

  async pardon(banId: string): Promise<void> {
    await this.request('DELETE', `/users/ban?ban_id=${encodeURIComponent(banId)}`);
  }

  async bans(limit: number, offset: number): Promise<{ records: BanRecord[]; hasMore: boolean }> {
    const j = await this.request('GET', `/users/bans?limit=${limit}&offset=${offset}`);
    const payload = (j?.payload ?? {}) as Json;
    return {
      records: Array.isArray(payload.records) ? (payload.records as BanRecord[]) : [],
      hasMore: payload.has_more === true,
    };
  }

  async sessions(userId?: string): Promise<SessionDay[]> {
    const q = userId ? `?user_id=${encodeURIComponent(userId)}` : '';
    const j = await this.request('GET', `/activity/sessions${q}`);
    const list = ((j?.payload ?? {}) as Json).session_activity;
    return Array.isArray(list) ? (list as SessionDay[]) : [];
  }

  async channelCounts(): Promise<ChannelCount[]> {
    const j = await this.request('GET', '/activity/channels');
    const list = ((j?.payload ?? {}) as Json).channels;
    return Array.isArray(list) ? (list as ChannelCount[]) : [];
  }

  async rateLimit(): Promise<RateLimit | null> {
    const j = await this.request('GET', '/ratelimits');
    const r = j?.rate_limiter as RateLimit | undefined;
    return r ?? null;
  }

  async setRateLimit(r: { id: RateLimit['id']; message_limit: number; window_seconds: number }) {
    await this.request('PATCH', '/ratelimits', r);
  }
}
