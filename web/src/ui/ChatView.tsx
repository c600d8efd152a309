// The chat screen: the sidebar (channels with unread counts, private conversations, who is
// online), the open conversation's messages and its composer.

import { useEffect } from 'preact/hooks';
import type { Connection } from '../connection';
import { channelKey, dmKey, type ChatStore, type ConversationKey } from '../store';
import { chatRoute, channelPath, dmPath, navigate } from '../router';
import { MessageList } from './MessageList';
import { Composer } from './Composer';

interface Props {
  store: ChatStore;
  connection: Connection;
  path: string;
  maxBytes: number;
}

function Unread({ n, id }: { n: number; id: string }) {
  if (!n) return null;
  return (
    <>
      <span class="badge" aria-hidden="true">{n > 99 ? '99+' : n}</span>
      <span class="sr-only" id={id}>{`${n} unread`}</span>
    </>
  );
}

export function ChatView({ store, connection, path, maxBytes }: Props) {
  const route = chatRoute(path);
  const me = store.me!;
  let key: ConversationKey | null = null;
  let title = '';
  let description = '';
  if (route.kind === 'channel') {
    const ch = store.channelByKey(channelKey(route.name));
    if (ch) {
      key = channelKey(ch.name);
      title = `#${ch.name}`;
      description = ch.description ?? '';
    }
  } else if (route.kind === 'dm' && route.userId !== me.id) {
    key = dmKey(route.userId);
    const peer = store.direct.get(route.userId)?.peerName ?? store.online.get(route.userId);
    title = peer ? `Private: ${peer}` : 'Private conversation';
  }

  const first = store.channels[0];
  useEffect(() => {
    if (key === null && route.kind !== 'dm' && first) navigate(channelPath(first.name), true);
  }, [key, first?.name, route.kind]);

  useEffect(() => {
    store.setActive(key);
  }, [key]);

  useEffect(() => () => store.setActive(null), []);

  let unreadTotal = 0;
  for (const n of store.unread.values()) unreadTotal += n;
  useEffect(() => {
    const prefix = unreadTotal ? `(${unreadTotal}) ` : '';
    document.title = `${prefix}${title || 'Chat'} · natter`;
  }, [title, unreadTotal]);

  const whisper = (id: string, name: string) => {
    store.openDirect(id, name);
    navigate(dmPath(id));
  };

  const send = (text: string): boolean => {
    if (key === null) return false;
    const ref = store.noteSent(key, text);
    const sent = key.startsWith('c:')
      ? connection.send({ type: 'chat_message', channel: store.channelByKey(key)!.name, message: text, ref })
      : connection.send({ type: 'private_chat_message', recipient_id: key.slice(2), message: text, ref });
    if (!sent) store.refuse(key, { code: 'not_connected', message: '', text });
    return sent;
  };

  const online = [...store.online].sort((a, b) => a[1].localeCompare(b[1]));
  const dms = [...store.direct.values()].sort((a, b) => a.peerName.localeCompare(b.peerName));
  const messages = key ? store.messagesOf(key) : [];

  return (
    <div class="chat">
      <aside class="sidebar">
        <nav aria-label="Channels">
          <h2>Channels</h2>
          <ul>
            {store.channels.map((c) => {
              const k = channelKey(c.name);
              const n = store.unreadOf(k);
              const uid = `unread-${c.id}`;
              return (
                <li key={c.id}>
                  <a href={channelPath(c.name)} aria-label={c.name}
                     aria-current={k === key ? 'page' : undefined}
                     aria-describedby={n ? uid : undefined}
                     class={n ? 'conv unread' : 'conv'}>
                    <span class="conv-name" aria-hidden="true">#{c.name}</span>
                    <Unread n={n} id={uid} />
                  </a>
                </li>
              );
            })}
            {store.channels.length === 0 && <li class="empty">No channels yet</li>}
          </ul>
        </nav>
        <nav aria-label="Private conversations">
          <h2>Private</h2>
          <ul>
            {dms.map((d) => {
              const k = dmKey(d.peerId);
              const n = store.unreadOf(k);
              const uid = `unread-d-${d.peerId}`;
              return (
                <li key={d.peerId}>
                  <a href={dmPath(d.peerId)} aria-label={d.peerName}
                     aria-current={k === key ? 'page' : undefined}
                     aria-describedby={n ? uid : undefined}
                     class={n ? 'conv unread' : 'conv'}>
                    <span class="conv-name" aria-hidden="true">@{d.peerName}</span>
                    <Unread n={n} id={uid} />
                  </a>
                </li>
              );
            })}
            {dms.length === 0 && <li class="empty">Click a person to whisper</li>}
          </ul>
        </nav>
        <section class="online">
          <h2 id="online-heading">Online</h2>
          <ul aria-label="Online">
            {online.map(([id, name]) => (
              <li key={id}>
                {id === me.id ? (
                  <span class="person self">{name} <span class="you">(you)</span></span>
                ) : (
                  <button type="button" class="person" onClick={() => whisper(id, name)}
                          title={`Whisper to ${name}`}>
                    <span class="dot" aria-hidden="true" />
                    {name}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      </aside>
      <main class="conversation" aria-label={title || 'Chat'}>
        {key === null ? (
          <p class="empty">
            {store.channels.length === 0
              ? 'Waiting for the channel list…'
              : route.kind === 'channel' ? `There is no channel named ${route.name}.` : 'Choose a channel.'}
          </p>
        ) : (
          <>
            <header class="conv-head">
              <h1>{title}</h1>
              {description && <p class="description">{description}</p>}
            </header>
            <MessageList key={key} messages={messages} meId={me.id} label={title} />
            <Composer key={key} convKey={key} label={title} maxBytes={maxBytes}
                      refusal={store.refusals.get(key)} onSend={send}
                      onDismiss={() => store.clearRefusal(key!)} />
          </>
        )}
      </main>
    </div>
  );
}
