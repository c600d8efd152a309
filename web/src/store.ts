// The chat state: a reducer over server messages (channels, public and private messages keyed
// by cacheID, presence, unread counts, refusals). Pure TypeScript with no DOM and no socket, so
// it is tested alone; the connection feeds it and the screens read it.

import type {
  Channel, ChatMessage, PrivateChatMessage, ProtocolError, ServerMessage,
} from './protocol';

/** A conversation: `c:<channel name, lower case>` or `d:<the other person's id>`. */
export type ConversationKey = string;

export const channelKey = (name: string): ConversationKey => `c:${name.toLowerCase()}`;
export const dmKey = (userId: string): ConversationKey => `d:${userId}`;

/** Enough for a busy channel; the oldest messages beyond this are let go. */
export const kMaxMessagesPerConversation = 10_000;
/** Sent messages awaiting a possible refusal; older ones are forgotten. */
const kMaxPending = 64;

export interface Refusal {
  code: string;
  message: string;
  /** The refused text, so it can be given back to the composer. */
  text?: string;
  /** For rate_limited: when (epoch ms) sending is allowed again. */
  until?: number;
}

export interface DirectConversation {
  peerId: string;
  peerName: string;
  messages: PrivateChatMessage[];
}

export interface Me {
  id: string;
  username: string;
}

type Listener = () => void;

/** Merges `items` into `list` (both ordered by cacheID); returns the new list and what the bound let go. */
function insertSorted<T extends { cacheID: number }>(list: T[], items: T[]): { list: T[]; dropped: T[] } {
  if (items.length === 0) return { list, dropped: [] };
  const out = list.slice();
  for (const m of items) {
    const last = out.length ? out[out.length - 1].cacheID : -Infinity;
    if (m.cacheID > last) {
      out.push(m);
      continue;
    }
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (out[mid].cacheID < m.cacheID) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, m);
  }
  const over = out.length - kMaxMessagesPerConversation;
  return { list: out, dropped: over > 0 ? out.splice(0, over) : [] };
}

/** Whether a message is older than everything a full conversation still holds. */
function beforeWindow(list: { cacheID: number }[] | undefined, cacheID: number): boolean {
  return list !== undefined && list.length >= kMaxMessagesPerConversation && cacheID < list[0].cacheID;
}

export class ChatStore {
  me: Me | null = null;
  channels: Channel[] = [];
  /** Public messages per channel key, ordered by cacheID. */
  publicMessages = new Map<ConversationKey, ChatMessage[]>();
  /** Private conversations per the other person's id. */
  direct = new Map<string, DirectConversation>();
  /** Who is online: id to username. */
  online = new Map<string, string>();
  unread = new Map<ConversationKey, number>();
  refusals = new Map<ConversationKey, Refusal>();
  active: ConversationKey | null = null;
  /** The highest public cacheID seen: the `since` of the next connect. */
  lastPublicId = 0;
  /** Changes with every update, for screens that compare. */
  version = 0;

  private publicIndex = new Map<number, ConversationKey>();
  private privateIds = new Set<number>();
  private privateLoaded = false;
  private publicLoaded = false;
  private pending = new Map<string, { key: ConversationKey; text: string }>();
  private lastSentKey: ConversationKey | null = null;
  private listeners = new Set<Listener>();
  private nextRef = 1;

  constructor(private now: () => number = () => Date.now()) {}

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  setMe(me: Me): void {
    this.me = me;
    this.changed();
  }

  channelByKey(key: ConversationKey): Channel | undefined {
    return this.channels.find((c) => channelKey(c.name) === key);
  }

  messagesOf(key: ConversationKey): (ChatMessage | PrivateChatMessage)[] {
    if (key.startsWith('d:')) return this.direct.get(key.slice(2))?.messages ?? [];
    return this.publicMessages.get(key) ?? [];
  }

  unreadOf(key: ConversationKey): number {
    return this.unread.get(key) ?? 0;
  }

  setActive(key: ConversationKey | null): void {
    if (this.active === key && (key === null || !this.unread.has(key))) return;
    this.active = key;
    if (key !== null) this.unread.delete(key);
    this.changed();
  }

  /** Opens (or creates) a private conversation with someone, for whispering to them. */
  openDirect(peerId: string, peerName: string): ConversationKey {
    if (!this.direct.has(peerId)) {
      this.direct.set(peerId, { peerId, peerName, messages: [] });
      this.changed();
    }
    return dmKey(peerId);
  }

  /** A fresh `ref` for an outgoing message; the server echoes it in an `error`. */
  noteSent(key: ConversationKey, text: string): string {
    const ref = `m${this.nextRef++}`;
    this.pending.set(ref, { key, text });
    if (this.pending.size > kMaxPending) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
    }
    this.lastSentKey = key;
    if (this.refusals.get(key)?.code !== 'rate_limited') this.refusals.delete(key);
    this.changed();
    return ref;
  }

  /** A refusal (or a local one, e.g. "not connected") shown at a conversation's composer. */
  refuse(key: ConversationKey, refusal: Refusal): void {
    this.refusals.set(key, refusal);
    this.changed();
  }

  clearRefusal(key: ConversationKey): void {
    if (this.refusals.delete(key)) this.changed();
  }

  /** Applies one server message. */
  apply(msg: ServerMessage): void {
    switch (msg.type) {
      case 'active_channels':
        this.applyChannels(msg.channels);
        break;
      case 'chat_message':
        this.addPublic([msg.message], true);
        break;
      case 'bulk_chat_messages':
        this.addPublic(msg.messages, this.publicLoaded);
        this.publicLoaded = true;
        break;
      case 'private_chat_message':
        this.addPrivate([msg.message], true);
        break;
      case 'bulk_private_messages':
        this.addPrivate(msg.messages, this.privateLoaded);
        this.privateLoaded = true;
        break;
      case 'connected_users':
        this.online = new Map(msg.users.map((u) => [u.id, u.username]));
        break;
      case 'user_status':
        this.online = new Map(this.online);
        if (msg.user.status) this.online.set(msg.user.id, msg.user.username);
        else this.online.delete(msg.user.id);
        break;
      case 'messages_deleted':
        this.deletePublic(msg.cache_ids);
        break;
      case 'error':
        this.applyError(msg.error);
        break;
      case 'ping':
      case 'pong':
        return;
    }
    this.changed();
  }

  /** Marks that the first history has been received even when the server had none to send. */
  connectSequenceDone(): void {
    this.publicLoaded = true;
    this.privateLoaded = true;
  }

  private applyChannels(channels: Channel[]): void {
    const before = new Map(this.channels.map((c) => [c.id, channelKey(c.name)]));
    const after = new Set(channels.map((c) => channelKey(c.name)));
    for (const c of channels) {
      const oldKey = before.get(c.id);
      const newKey = channelKey(c.name);
      if (oldKey === undefined || oldKey === newKey) continue;
      this.moveConversation(oldKey, newKey);
    }
    for (const [, key] of before) {
      if (!after.has(key)) this.dropConversation(key);
    }
    this.channels = channels;
  }

  private moveConversation(from: ConversationKey, to: ConversationKey): void {
    const moved = this.publicMessages.get(from) ?? [];
    const { list, dropped } = insertSorted(this.publicMessages.get(to) ?? [], moved);
    this.publicMessages.delete(from);
    this.publicMessages.set(to, list);
    for (const m of moved) this.publicIndex.set(m.cacheID, to);
    for (const m of dropped) this.publicIndex.delete(m.cacheID);
    const n = this.unreadOf(from) + this.unreadOf(to);
    this.unread.delete(from);
    if (n) this.unread.set(to, n);
    if (this.active === from) this.active = to;
  }

  private dropConversation(key: ConversationKey): void {
    for (const m of this.publicMessages.get(key) ?? []) this.publicIndex.delete(m.cacheID);
    this.publicMessages.delete(key);
    this.unread.delete(key);
    this.refusals.delete(key);
  }

  private addPublic(messages: ChatMessage[], countUnread: boolean): void {
    const byKey = new Map<ConversationKey, ChatMessage[]>();
    for (const m of messages) {
      if (m.cacheID > this.lastPublicId) this.lastPublicId = m.cacheID;
      const key = channelKey(m.channel);
      if (this.publicIndex.has(m.cacheID) || beforeWindow(this.publicMessages.get(key), m.cacheID)) continue;
      this.publicIndex.set(m.cacheID, key);
      let list = byKey.get(key);
      if (!list) byKey.set(key, (list = []));
      list.push(m);
    }
    for (const [key, added] of byKey) {
      const { list, dropped } = insertSorted(this.publicMessages.get(key) ?? [], added);
      this.publicMessages.set(key, list);
      for (const m of dropped) this.publicIndex.delete(m.cacheID);
      this.afterArrival(key, added, countUnread);
    }
  }

  private addPrivate(messages: PrivateChatMessage[], countUnread: boolean): void {
    const byPeer = new Map<string, PrivateChatMessage[]>();
    for (const m of messages) {
      const mine = this.me !== null && m.owner_id === this.me.id;
      const peerId = mine ? m.recipient_id : m.owner_id;
      const peerName = mine ? m.recipient : m.username;
      if (this.privateIds.has(m.cacheID) || beforeWindow(this.direct.get(peerId)?.messages, m.cacheID)) continue;
      this.privateIds.add(m.cacheID);
      let conv = this.direct.get(peerId);
      if (!conv) this.direct.set(peerId, (conv = { peerId, peerName, messages: [] }));
      conv.peerName = peerName;
      let list = byPeer.get(peerId);
      if (!list) byPeer.set(peerId, (list = []));
      list.push(m);
    }
    for (const [peerId, added] of byPeer) {
      const conv = this.direct.get(peerId)!;
      const { list, dropped } = insertSorted(conv.messages, added);
      for (const m of dropped) this.privateIds.delete(m.cacheID);
      this.direct.set(peerId, { ...conv, messages: list });
      this.afterArrival(dmKey(peerId), added, countUnread);
    }
    if (byPeer.size) this.direct = new Map(this.direct);
  }

  private afterArrival(
    key: ConversationKey, list: { owner_id: string }[], countUnread: boolean,
  ): void {
    const mine = (m: { owner_id: string }) => this.me !== null && m.owner_id === this.me.id;
    if (list.some(mine) && this.refusals.get(key)?.code !== 'rate_limited') this.refusals.delete(key);
    if (!countUnread || key === this.active) return;
    const n = list.filter((m) => !mine(m)).length;
    if (n) this.unread.set(key, this.unreadOf(key) + n);
  }

  private deletePublic(ids: number[]): void {
    const touched = new Map<ConversationKey, Set<number>>();
    for (const id of ids) {
      const key = this.publicIndex.get(id);
      if (key === undefined) continue;
      this.publicIndex.delete(id);
      let set = touched.get(key);
      if (!set) touched.set(key, (set = new Set()));
      set.add(id);
    }
    for (const [key, set] of touched) {
      const list = this.publicMessages.get(key) ?? [];
      this.publicMessages.set(key, list.filter((m) => !set.has(m.cacheID)));
    }
  }

  private applyError(e: ProtocolError): void {
    const sent = e.ref !== undefined ? this.pending.get(e.ref) : undefined;
    if (e.ref !== undefined) this.pending.delete(e.ref);
    const key = sent?.key ?? this.lastSentKey ?? this.active;
    if (key === null) {
      console.warn(`natter: server error ${e.code}: ${e.message}`);
      return;
    }
    const r: Refusal = { code: e.code, message: e.message };
    if (sent) r.text = sent.text;
    if (e.retry_after_ms !== undefined) r.until = this.now() + e.retry_after_ms;
    this.refusals.set(key, r);
  }
}

/** Seconds left before a rate-limited composer may send again (0 when it may). */
export function secondsLeft(r: Refusal | undefined, now: number): number {
  if (!r || r.until === undefined) return 0;
  return Math.max(0, Math.ceil((r.until - now) / 1000));
}

/** The words a refusal is shown in. */
export function describeRefusal(r: Refusal, now: number): string {
  switch (r.code) {
    case 'rate_limited': {
      const s = secondsLeft(r, now);
      return s > 0 ? `Too many messages: you can send again in ${s} s.` : 'You can send again now.';
    }
    case 'message_too_long':
      return 'That message is too long.';
    case 'unknown_channel':
      return 'This channel does not exist (any more).';
    case 'unavailable':
      return 'The server cannot take messages right now; try again in a moment.';
    case 'unknown_recipient':
      return 'That person is not known to the server.';
    case 'empty_message':
      return 'An empty message cannot be sent.';
    case 'invalid_message':
      return 'That message holds characters that cannot be sent.';
    case 'not_connected':
      return 'Not connected: the message was not sent.';
    default:
      return r.message || `The server refused the message (${r.code}).`;
  }
}
