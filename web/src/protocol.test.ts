import { describe, expect, it, vi } from 'vitest';
import { parseServerMessage } from './protocol';
import { parseDiscovery } from './auth';
import { decodeClaims } from './jwt';
import { describeApiError } from './api';
import { utf8Length } from './utf8';

describe('parsing server messages', () => {
  it('reads every envelope of the protocol', () => {
    const msg = {
      cacheID: 7, owner_id: 'a', username: 'alice', channel: 'general', message: 'hi',
      authored_at: '2026-12-02T10:00:00Z',
    };
    expect(parseServerMessage(JSON.stringify({ type: 'chat_message', sender: 'alice', payload: msg })))
      .toEqual({ type: 'chat_message', message: msg });
    expect(parseServerMessage(JSON.stringify({
      type: 'bulk_chat_messages', sender: 'Server', payload: { messages: [msg], truncated_before: 3 },
    }))).toEqual({ type: 'bulk_chat_messages', messages: [msg], truncated_before: 3 });
    expect(parseServerMessage(JSON.stringify({
      type: 'active_channels', sender: 'Server', payload: { channels: [{ id: 1, name: 'General', sort_order: 2 }] },
    }))).toEqual({ type: 'active_channels', channels: [{ id: 1, name: 'General', sort_order: 2 }] });
    expect(parseServerMessage(JSON.stringify({
      type: 'error', sender: 'Server', payload: { code: 'rate_limited', message: 'x', retry_after_ms: 900, ref: 'm1' },
    }))).toEqual({ type: 'error', error: { code: 'rate_limited', message: 'x', retry_after_ms: 900, ref: 'm1' } });
    expect(parseServerMessage(JSON.stringify({
      type: 'messages_deleted', sender: 'Server', payload: { cache_ids: [1, 2] },
    }))).toEqual({ type: 'messages_deleted', cache_ids: [1, 2] });
    expect(parseServerMessage(JSON.stringify({
      type: 'user_status', sender: 'Server', payload: { id: 'b', username: 'bob', status: false },
    }))).toEqual({ type: 'user_status', user: { id: 'b', username: 'bob', status: false } });
  });

  it('rejects what does not fit', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(parseServerMessage('not json')).toBeNull();
    expect(parseServerMessage(JSON.stringify({ type: 'chat_message', payload: { cacheID: '7' } }))).toBeNull();
    expect(parseServerMessage(JSON.stringify({ type: 'messages_deleted', payload: { cache_ids: ['x'] } }))).toBeNull();
    expect(parseServerMessage(JSON.stringify({ type: 'something_new', payload: {} }))).toBeNull();
    warn.mockRestore();
  });
});

describe('discovery', () => {
  it('treats missing fields as defaults', () => {
    expect(parseDiscovery({})).toEqual({
      dev: false, oidcIssuer: null, webClientId: null, maxMessageBytes: 4096, serverName: 'natter',
    });
    expect(parseDiscovery({ dev: true, max_message_bytes: 200, oidc_issuer: 'https://id/realms/r', web_client_id: 'web' }))
      .toMatchObject({ dev: true, maxMessageBytes: 200, oidcIssuer: 'https://id/realms/r', webClientId: 'web' });
  });

  it('recognises dev mode from the auth URL of an older server', () => {
    expect(parseDiscovery({ auth_url: 'http://127.0.0.1:18080/dev/token' }).dev).toBe(true);
    expect(parseDiscovery({ dev: false, auth_url: 'http://x/dev/token' }).dev).toBe(false);
  });
});

describe('token claims', () => {
  const token = (payload: object) =>
    `e30.${btoa(JSON.stringify(payload)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.sig`;

  it('reads the admin role from realm_access.roles', () => {
    expect(decodeClaims(token({ sub: 's', preferred_username: 'ann', realm_access: { roles: ['admin'] } })))
      .toMatchObject({ sub: 's', preferred_username: 'ann', admin: true });
    expect(decodeClaims(token({ sub: 's', preferred_username: 'bo' }))?.admin).toBe(false);
    expect(decodeClaims('garbage')).toBeNull();
  });

  it('reads non-ASCII names', () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ sub: 's', preferred_username: 'zoë' }));
    const b64 = btoa(String.fromCharCode(...bytes)).replace(/=+$/, '');
    expect(decodeClaims(`e30.${b64}.x`)?.preferred_username).toBe('zoë');
  });
});

describe('REST errors in words', () => {
  it('says what each status means', () => {
    expect(describeApiError(401, '')).toMatch(/sign in again/);
    expect(describeApiError(403, '')).toMatch(/not an admin/);
    expect(describeApiError(409, '')).toMatch(/taken/);
    expect(describeApiError(503, '')).toMatch(/try again/);
    expect(describeApiError(400, 'name too long')).toBe('name too long');
  });
});

describe('composer limit', () => {
  it('counts UTF-8 bytes', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('😀')).toBe(4);
  });
});

describe('overview', () => {
  it('shows the last 7 days with empty days as 0', async () => {
    const { lastSevenDays } = await import('./analytics');
    const days = lastSevenDays(
      [{ session_date: '2026-12-01', session_count: 3, total_duration: '01:00:00' }],
      new Date('2026-12-02T12:00:00Z'),
    );
    expect(days.map((d) => d.session_date)).toEqual([
      '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02',
    ]);
    expect(days.map((d) => d.session_count)).toEqual([0, 0, 0, 0, 0, 3, 0]);
  });
});
