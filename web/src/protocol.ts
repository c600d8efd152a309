// The wire protocol's types (PROTOCOL.md), field for field, and the one place where server
// messages are parsed: anything that does not fit is rejected here, so the store sees only
// well-formed data. Knows nothing of the socket or the screens.

export interface ChatMessage {
  id?: number;
  cacheID: number;
  owner_id: string;
  username: string;
  channel: string;
  message: string;
  authored_at: string;
}

export interface PrivateChatMessage {
  id?: number;
  cacheID: number;
  owner_id: string;
  username: string;
  recipient_id: string;
  recipient: string;
  message: string;
  authored_at: string;
}

export interface Channel {
  id: number;
  name: string;
  description?: string;
  sort_order?: number;
}

export interface UserStatus {
  username: string;
  id: string;
  status: boolean;
}

export interface ProtocolError {
  code: string;
  message: string;
  retry_after_ms?: number;
  ref?: string;
}

export type ServerMessage =
  | { type: 'chat_message'; message: ChatMessage }
  | { type: 'private_chat_message'; message: PrivateChatMessage }
  | { type: 'bulk_chat_messages'; messages: ChatMessage[]; truncated_before?: number }
  | { type: 'bulk_private_messages'; messages: PrivateChatMessage[] }
  | { type: 'active_channels'; channels: Channel[] }
  | { type: 'connected_users'; users: UserStatus[] }
  | { type: 'user_status'; user: UserStatus }
  | { type: 'messages_deleted'; cache_ids: number[] }
  | { type: 'error'; error: ProtocolError }
  | { type: 'ping' }
  | { type: 'pong' };

export type ClientMessage =
  | { type: 'chat_message'; channel: string; message: string; ref?: string }
  | { type: 'private_chat_message'; recipient_id: string; message: string; ref?: string }
  | { type: 'refresh_token'; token: string }
  | { type: 'ping' }
  | { type: 'pong' };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const optInt = (v: unknown): boolean => v === undefined || isInt(v);
const optStr = (v: unknown): boolean => v === undefined || isStr(v);

export function parseChatMessage(v: unknown): ChatMessage | null {
  if (!isObj(v)) return null;
  const { id, cacheID, owner_id, username, channel, message, authored_at } = v;
  if (!optInt(id) || !isInt(cacheID) || !isStr(owner_id) || !isStr(username)) return null;
  if (!isStr(channel) || !isStr(message) || !isStr(authored_at)) return null;
  const m: ChatMessage = { cacheID, owner_id, username, channel, message, authored_at };
  if (id !== undefined) m.id = id as number;
  return m;
}

export function parsePrivateMessage(v: unknown): PrivateChatMessage | null {
  if (!isObj(v)) return null;
  const { id, cacheID, owner_id, username, recipient_id, recipient, message, authored_at } = v;
  if (!optInt(id) || !isInt(cacheID) || !isStr(owner_id) || !isStr(username)) return null;
  if (!isStr(recipient_id) || !isStr(recipient) || !isStr(message) || !isStr(authored_at)) return null;
  const m: PrivateChatMessage = {
    cacheID, owner_id, username, recipient_id, recipient, message, authored_at,
  };
  if (id !== undefined) m.id = id as number;
  return m;
}

export function parseChannel(v: unknown): Channel | null {
  if (!isObj(v) || !isInt(v.id) || !isStr(v.name)) return null;
  if (!optStr(v.description) || !optInt(v.sort_order)) return null;
  const c: Channel = { id: v.id, name: v.name };
  if (v.description !== undefined) c.description = v.description as string;
  if (v.sort_order !== undefined) c.sort_order = v.sort_order as number;
  return c;
}

export function parseUserStatus(v: unknown): UserStatus | null {
  if (!isObj(v) || !isStr(v.username) || !isStr(v.id) || typeof v.status !== 'boolean') return null;
  return { username: v.username, id: v.id, status: v.status };
}

function parseList<T>(v: unknown, item: (x: unknown) => T | null): T[] | null {
  if (!Array.isArray(v)) return null;
  const out: T[] = [];
  for (const x of v) {
    const t = item(x);
    if (t === null) return null;
    out.push(t);
  }
  return out;
}

/** Parses one text frame from the server; null (and a console warning) when it does not fit. */
export function parseServerMessage(text: string): ServerMessage | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    console.warn('natter: a frame that is not JSON');
    return null;
  }
  const parsed = isObj(raw) ? parseEnvelope(raw) : null;
  if (parsed === null) console.warn('natter: a server message that does not fit the protocol');
  return parsed;
}

function parseEnvelope(raw: Obj): ServerMessage | null {
  const p = raw.payload;
  switch (raw.type) {
    case 'chat_message': {
      const m = parseChatMessage(p);
      return m && { type: 'chat_message', message: m };
    }
    case 'private_chat_message': {
      const m = parsePrivateMessage(p);
      return m && { type: 'private_chat_message', message: m };
    }
    case 'bulk_chat_messages': {
      if (!isObj(p)) return null;
      const ms = parseList(p.messages ?? [], parseChatMessage);
      if (!ms || !optInt(p.truncated_before)) return null;
      const out: ServerMessage = { type: 'bulk_chat_messages', messages: ms };
      if (isInt(p.truncated_before)) out.truncated_before = p.truncated_before;
      return out;
    }
    case 'bulk_private_messages': {
      if (!isObj(p)) return null;
      const ms = parseList(p.messages ?? [], parsePrivateMessage);
      return ms && { type: 'bulk_private_messages', messages: ms };
    }
    case 'active_channels': {
      if (!isObj(p)) return null;
      const cs = parseList(p.channels ?? [], parseChannel);
      return cs && { type: 'active_channels', channels: cs };
    }
    case 'connected_users': {
      if (!isObj(p)) return null;
      const us = parseList(p.users ?? [], parseUserStatus);
      return us && { type: 'connected_users', users: us };
    }
    case 'user_status': {
      const u = parseUserStatus(p);
      return u && { type: 'user_status', user: u };
    }
    case 'messages_deleted': {
      if (!isObj(p)) return null;
      const ids = parseList(p.cache_ids, (x) => (isInt(x) ? x : null));
      return ids && { type: 'messages_deleted', cache_ids: ids };
    }
    case 'error': {
      if (!isObj(p) || !isStr(p.code) || !optStr(p.message)) return null;
      if (!optInt(p.retry_after_ms) || !optStr(p.ref)) return null;
      const e: ProtocolError = { code: p.code, message: (p.message as string | undefined) ?? '' };
      if (isInt(p.retry_after_ms)) e.retry_after_ms = p.retry_after_ms;
      if (isStr(p.ref)) e.ref = p.ref;
      return { type: 'error', error: e };
    }
    case 'ping':
      return { type: 'ping' };
    case 'pong':
      return { type: 'pong' };
    default:
      return null;
  }
}
