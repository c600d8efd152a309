import { describe, expect, it } from 'vitest';
import {
  ChatStore, channelKey, describeRefusal, dmKey, kMaxMessagesPerConversation, secondsLeft,
} from './store';
import type { ChatMessage, PrivateChatMessage, ServerMessage } from './protocol';

const me = { id: 'u-me', username: 'me' };

function pub(cacheID: number, channel = 'general', owner = 'u-bob', username = 'bob'): ChatMessage {
  return {
    cacheID, owner_id: owner, username, channel, message: `m${cacheID}`,
    authored_at: '2026-12-02T10:00:00Z',
  };
}

function priv(cacheID: number, from: string, to: string): PrivateChatMessage {
  const names: Record<string, string> = { 'u-me': 'me', 'u-bob': 'bob', 'u-eve': 'eve' };
  return {
    cacheID, owner_id: from, username: names[from], recipient_id: to, recipient: names[to],
    message: `p${cacheID}`, authored_at: '2026-12-02T10:00:00Z',
  };
}

function connect(s: ChatStore, extra: ServerMessage[] = []) {
  s.apply({ type: 'active_channels', channels: [{ id: 1, name: 'General' }, { id: 2, name: 'random' }] });
  for (const m of extra) s.apply(m);
  s.apply({ type: 'connected_users', users: [] });
  s.connectSequenceDone();
}

const ids = (s: ChatStore, key: string) => s.messagesOf(key).map((m) => m.cacheID);

describe('message store', () => {
  it('orders public messages by cacheID whatever the arrival order', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s);
    for (const id of [3, 1, 2, 5, 4]) s.apply({ type: 'chat_message', message: pub(id) });
    expect(ids(s, channelKey('general'))).toEqual([1, 2, 3, 4, 5]);
    expect(s.lastPublicId).toBe(5);
  });

  it('merges a reconnect replay that overlaps live messages without duplicates', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s, [{ type: 'bulk_chat_messages', messages: [pub(1), pub(2), pub(3)] }]);
    s.apply({ type: 'chat_message', message: pub(4) });
    // reconnect with ?since=4, but the server replays from 3 (overlap) and adds 5, 6
    connect(s, [{ type: 'bulk_chat_messages', messages: [pub(3), pub(4), pub(5), pub(6, 'random')] }]);
    s.apply({ type: 'chat_message', message: pub(5) });
    expect(ids(s, channelKey('general'))).toEqual([1, 2, 3, 4, 5]);
    expect(ids(s, channelKey('random'))).toEqual([6]);
    expect(s.lastPublicId).toBe(6);
  });

  it('keys channels without regard to case and shows the server spelling', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s);
    s.apply({ type: 'chat_message', message: pub(1, 'general') });
    s.apply({ type: 'chat_message', message: pub(2, 'GENERAL') });
    expect(ids(s, channelKey('General'))).toEqual([1, 2]);
    expect(s.channelByKey(channelKey('gEnErAl'))?.name).toBe('General');
  });

  it('counts public and private cacheIDs apart', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s);
    s.apply({ type: 'chat_message', message: pub(1) });
    s.apply({ type: 'private_chat_message', message: priv(1, 'u-bob', 'u-me') });
    expect(ids(s, channelKey('general'))).toEqual([1]);
    expect(ids(s, dmKey('u-bob'))).toEqual([1]);
  });

  it('removes deleted messages by cacheID and ignores unknown ids', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s, [{ type: 'bulk_chat_messages', messages: [pub(1), pub(2), pub(3, 'random')] }]);
    s.apply({ type: 'messages_deleted', cache_ids: [2, 3, 99] });
    expect(ids(s, channelKey('general'))).toEqual([1]);
    expect(ids(s, channelKey('random'))).toEqual([]);
    // a replay after the deletion does not bring a deleted message back unless resent
    s.apply({ type: 'chat_message', message: pub(4) });
    expect(ids(s, channelKey('general'))).toEqual([1, 4]);
  });

  it('moves messages with a renamed channel and drops a deleted one', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s, [{ type: 'bulk_chat_messages', messages: [pub(1), pub(2, 'random')] }]);
    s.setActive(channelKey('general'));
    s.apply({ type: 'active_channels', channels: [{ id: 1, name: 'lobby' }] });
    expect(ids(s, channelKey('lobby'))).toEqual([1]);
    expect(s.active).toBe(channelKey('lobby'));
    expect(ids(s, channelKey('random'))).toEqual([]);
  });
});

describe('the bound on a conversation', () => {
  it('lets the oldest go and does not take them back from a replay', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s);
    const n = kMaxMessagesPerConversation + 5;
    s.apply({ type: 'bulk_chat_messages', messages: Array.from({ length: n }, (_, i) => pub(i + 1)) });
    const list = s.messagesOf(channelKey('general'));
    expect(list).toHaveLength(kMaxMessagesPerConversation);
    expect(list[0].cacheID).toBe(6);
    s.apply({ type: 'bulk_chat_messages', messages: [pub(3), pub(n), pub(n + 1)] });
    const after = s.messagesOf(channelKey('general'));
    expect(after[0].cacheID).toBe(7);
    expect(after[after.length - 1].cacheID).toBe(n + 1);
    expect(new Set(after.map((m) => m.cacheID)).size).toBe(after.length);
  });
});

describe('private conversations', () => {
  it('files history and live messages under the other person, both directions', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s, [{
      type: 'bulk_private_messages',
      messages: [priv(1, 'u-me', 'u-bob'), priv(2, 'u-bob', 'u-me'), priv(3, 'u-eve', 'u-me')],
    }]);
    s.apply({ type: 'private_chat_message', message: priv(4, 'u-me', 'u-bob') });
    s.apply({ type: 'private_chat_message', message: priv(2, 'u-bob', 'u-me') });
    expect(ids(s, dmKey('u-bob'))).toEqual([1, 2, 4]);
    expect(ids(s, dmKey('u-eve'))).toEqual([3]);
    expect(s.direct.get('u-bob')?.peerName).toBe('bob');
  });
});

describe('unread counts', () => {
  it('counts others\' messages in conversations not open, not history, not own', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s, [{ type: 'bulk_chat_messages', messages: [pub(1), pub(2, 'random')] }]);
    expect(s.unreadOf(channelKey('general'))).toBe(0);
    s.setActive(channelKey('general'));
    s.apply({ type: 'chat_message', message: pub(3) });
    s.apply({ type: 'chat_message', message: pub(4, 'random') });
    s.apply({ type: 'chat_message', message: pub(5, 'random') });
    s.apply({ type: 'chat_message', message: pub(6, 'random', 'u-me', 'me') });
    s.apply({ type: 'private_chat_message', message: priv(1, 'u-bob', 'u-me') });
    expect(s.unreadOf(channelKey('general'))).toBe(0);
    expect(s.unreadOf(channelKey('random'))).toBe(2);
    expect(s.unreadOf(dmKey('u-bob'))).toBe(1);
    s.setActive(channelKey('random'));
    expect(s.unreadOf(channelKey('random'))).toBe(0);
  });

  it('counts what a reconnect replay brings, once', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s, [{ type: 'bulk_chat_messages', messages: [pub(1, 'random')] }]);
    s.setActive(channelKey('general'));
    connect(s, [{ type: 'bulk_chat_messages', messages: [pub(1, 'random'), pub(2, 'random')] }]);
    s.apply({ type: 'chat_message', message: pub(2, 'random') });
    expect(s.unreadOf(channelKey('random'))).toBe(1);
  });

  it('does not count the first history when the server had none public but sends private', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s, [{ type: 'bulk_private_messages', messages: [priv(1, 'u-bob', 'u-me')] }]);
    expect(s.unreadOf(dmKey('u-bob'))).toBe(0);
  });
});

describe('presence', () => {
  it('keeps a person with two tabs online until their last connection closes', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s);
    s.apply({ type: 'connected_users', users: [{ id: 'u-me', username: 'me', status: true }] });
    s.apply({ type: 'user_status', user: { id: 'u-bob', username: 'bob', status: true } });
    s.apply({ type: 'user_status', user: { id: 'u-bob', username: 'bob', status: true } });
    expect([...s.online.keys()].sort()).toEqual(['u-bob', 'u-me']);
    // the server sends false only when bob's last connection closes
    s.apply({ type: 'user_status', user: { id: 'u-bob', username: 'bob', status: false } });
    expect([...s.online.keys()]).toEqual(['u-me']);
  });

  it('lets connected_users replace the list', () => {
    const s = new ChatStore();
    s.apply({ type: 'user_status', user: { id: 'u-eve', username: 'eve', status: true } });
    s.apply({ type: 'connected_users', users: [{ id: 'u-bob', username: 'bob', status: true }] });
    expect([...s.online.entries()]).toEqual([['u-bob', 'bob']]);
  });
});

describe('refusals', () => {
  it('shows a refusal with a ref at the composer it was written in, with the text', () => {
    const s = new ChatStore(() => 1_000);
    s.setMe(me);
    connect(s);
    const ref = s.noteSent(channelKey('random'), 'hello');
    s.noteSent(channelKey('general'), 'other');
    s.apply({ type: 'error', error: { code: 'message_too_long', message: 'too long', ref } });
    expect(s.refusals.get(channelKey('random'))).toEqual({
      code: 'message_too_long', message: 'too long', text: 'hello',
    });
    expect(s.refusals.has(channelKey('general'))).toBe(false);
  });

  it('falls back to the last composer used when there is no ref', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s);
    s.noteSent(dmKey('u-bob'), 'hi');
    s.apply({ type: 'error', error: { code: 'unavailable', message: 'store down' } });
    expect(s.refusals.get(dmKey('u-bob'))?.code).toBe('unavailable');
  });

  it('counts down a rate limit from retry_after_ms', () => {
    let now = 10_000;
    const s = new ChatStore(() => now);
    s.setMe(me);
    connect(s);
    const ref = s.noteSent(channelKey('general'), 'spam');
    s.apply({ type: 'error', error: { code: 'rate_limited', message: 'slow down', retry_after_ms: 4_500, ref } });
    const r = s.refusals.get(channelKey('general'))!;
    expect(r.until).toBe(14_500);
    expect(secondsLeft(r, now)).toBe(5);
    expect(describeRefusal(r, now)).toContain('5 s');
    now = 13_600;
    expect(secondsLeft(r, now)).toBe(1);
    now = 14_500;
    expect(secondsLeft(r, now)).toBe(0);
    expect(describeRefusal(r, now)).toBe('You can send again now.');
  });

  it('clears a refusal when an own message is accepted in that conversation', () => {
    const s = new ChatStore();
    s.setMe(me);
    connect(s);
    const ref = s.noteSent(channelKey('general'), 'x');
    s.apply({ type: 'error', error: { code: 'unknown_channel', message: 'no', ref } });
    expect(s.refusals.has(channelKey('general'))).toBe(true);
    s.apply({ type: 'chat_message', message: pub(1, 'general', 'u-me', 'me') });
    expect(s.refusals.has(channelKey('general'))).toBe(false);
  });

  it('words each refusal the composer shows', () => {
    for (const code of ['message_too_long', 'unknown_channel', 'unavailable']) {
      expect(describeRefusal({ code, message: '' }, 0)).not.toBe('');
    }
    expect(describeRefusal({ code: 'weird', message: 'server words' }, 0)).toBe('server words');
  });
});
