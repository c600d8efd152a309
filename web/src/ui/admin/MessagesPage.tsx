// Messages: search by keyword, channel(s) and user id with paging; select and delete (the
// server tells every chat screen at once).

import { useState } from 'preact/hooks';
import type { Api } from '../../api';
import type { ChatMessage } from '../../protocol';
import type { ChatStore } from '../../store';
import { dateTimeLabel } from '../../format';
import { Dialog } from '../Dialog';
import { Feedback, useAction } from './common';

const kPage = 50;

export function MessagesPage({ api, store }: { api: Api; store: ChatStore }) {
  const [keyword, setKeyword] = useState('');
  const [userId, setUserId] = useState('');
  const [channels, setChannels] = useState<Set<string>>(new Set());
  const [offset, setOffset] = useState(0);
  const [results, setResults] = useState<ChatMessage[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const { busy, error, note, run } = useAction();

  const search = async (at: number) => {
    const r = await run(() => api.searchMessages({
      channels: [...channels], keyword: keyword.trim(), userId: userId.trim(), limit: kPage, offset: at,
    }));
    if (!r) return;
    setOffset(at);
    setResults(r.messages);
    setHasMore(r.hasMore);
    setSelected(new Set());
  };

  const toggleChannel = (name: string, on: boolean) => {
    const next = new Set(channels);
    if (on) next.add(name);
    else next.delete(name);
    setChannels(next);
  };

  const toggle = (id: number, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };

  const remove = async () => {
    setConfirming(false);
    const ids = [...selected];
    const ok = await run(async () => {
      await api.deleteMessages(ids);
      return true;
    }, `${ids.length} message${ids.length === 1 ? '' : 's'} deleted.`);
    if (ok && results) {
      setResults(results.filter((m) => m.id === undefined || !selected.has(m.id)));
      setSelected(new Set());
    }
  };

  return (
    <section>
      <h1>Messages</h1>
      <form class="search-form" aria-label="Search messages"
            onSubmit={(e) => { e.preventDefault(); void search(0); }}>
        <label>
          Keyword
          <input type="search" value={keyword}
                 onInput={(e) => setKeyword((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          User id
          <input value={userId} onInput={(e) => setUserId((e.target as HTMLInputElement).value)} />
        </label>
        <fieldset>
          <legend>In channels (none: all)</legend>
          {store.channels.map((c) => (
            <label class="check" key={c.id}>
              <input type="checkbox" checked={channels.has(c.name)}
                     onChange={(e) => toggleChannel(c.name, (e.target as HTMLInputElement).checked)} />
              {c.name}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={busy}>Search</button>
      </form>
      <Feedback error={error} note={note} />
      {results && (
        <>
          <p class="row">
            <button type="button" class="danger" disabled={selected.size === 0 || busy}
                    onClick={() => setConfirming(true)}>Delete selected</button>
            <span class="hint">{`${selected.size} selected`}</span>
          </p>
          {results.length === 0 ? <p class="empty">No messages found.</p> : (
            <table class="grid">
              <thead>
                <tr>
                  <th scope="col"><span class="sr-only">Select</span></th>
                  <th scope="col">When</th><th scope="col">Channel</th>
                  <th scope="col">Author</th><th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {results.map((m) => (
                  <tr key={m.id ?? `c${m.cacheID}`}>
                    <td>
                      {m.id !== undefined && (
                        <input type="checkbox" aria-label={`Select message ${m.id}`}
                               checked={selected.has(m.id)}
                               onChange={(e) => toggle(m.id!, (e.target as HTMLInputElement).checked)} />
                      )}
                    </td>
                    <td><time dateTime={m.authored_at}>{dateTimeLabel(m.authored_at)}</time></td>
                    <td>{m.channel}</td>
                    <td>{m.username}</td>
                    <td class="text">{m.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p class="row pager">
            <button type="button" class="secondary" disabled={offset === 0 || busy}
                    onClick={() => search(Math.max(0, offset - kPage))}>Previous page</button>
            <span>{`Page ${offset / kPage + 1}`}</span>
            <button type="button" class="secondary" disabled={!hasMore || busy}
                    onClick={() => search(offset + kPage)}>Next page</button>
          </p>
        </>
      )}
      {confirming && (
        <Dialog title={`Delete ${selected.size} message${selected.size === 1 ? '' : 's'}?`}
                onClose={() => setConfirming(false)}>
          <p>They disappear from every chat screen at once.</p>
          <p class="row">
            <button type="button" class="danger" onClick={remove}>Delete</button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>Cancel</button>
          </p>
        </Dialog>
      )}
    </section>
  );
}
