// Channels: create, rename, describe, reorder and delete (with an explicit purge choice and a
// confirmation).

import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../../api';
import type { Channel } from '../../protocol';
import type { ChatStore } from '../../store';
import { Dialog } from '../Dialog';
import { Feedback, useAction } from './common';

type Editing =
  | { kind: 'rename'; channel: Channel }
  | { kind: 'describe'; channel: Channel }
  | { kind: 'delete'; channel: Channel };

export function ChannelsPage({ api, store }: { api: Api; store: ChatStore }) {
  const [channels, setChannels] = useState<Channel[]>([]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [editing, setEditing] = useState<Editing | null>(null);
  const { busy, error, note, run } = useAction();

  const load = () => run(async () => setChannels(await api.channels()));
  useEffect(() => {
    void load();
  }, [api, store.channels]);

  const create = async (ev: Event) => {
    ev.preventDefault();
    const n = name.trim();
    if (!n) return;
    const ok = await run(async () => {
      await api.createChannel(n, description.trim() || undefined);
      return true;
    }, `Channel ${n} created.`);
    if (ok) {
      setName('');
      setDescription('');
      setChannels(await api.channels().catch(() => channels));
    }
  };

  const move = async (i: number, dir: -1 | 1) => {
    const c = channels[i];
    const before = dir === -1 ? channels[i - 1] : channels[i + 2] ?? null;
    await run(() => api.reorderChannel(c.id, before ? before.id : null),
      `Channel ${c.name} moved ${dir === -1 ? 'up' : 'down'}.`);
    setChannels(await api.channels().catch(() => channels));
  };

  return (
    <section>
      <h1>Channels</h1>
      <form class="inline-form" onSubmit={create} aria-label="Create a channel">
        <label>
          Channel name
          <input value={name} required maxLength={64}
                 onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Description
          <input value={description} maxLength={500}
                 onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={busy}>Create</button>
      </form>
      <Feedback error={error} note={note} />
      <table class="grid">
        <thead>
          <tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Actions</th></tr>
        </thead>
        <tbody>
          {channels.map((c, i) => (
            <tr key={c.id}>
              <th scope="row">{c.name}</th>
              <td>{c.description ?? ''}</td>
              <td class="actions">
                <button type="button" class="small" aria-label={`Rename ${c.name}`}
                        onClick={() => setEditing({ kind: 'rename', channel: c })}>Rename</button>
                <button type="button" class="small" aria-label={`Describe ${c.name}`}
                        onClick={() => setEditing({ kind: 'describe', channel: c })}>Describe</button>
                <button type="button" class="small" aria-label={`Move ${c.name} up`}
                        disabled={i === 0 || busy} onClick={() => move(i, -1)}>↑</button>
                <button type="button" class="small" aria-label={`Move ${c.name} down`}
                        disabled={i === channels.length - 1 || busy} onClick={() => move(i, 1)}>↓</button>
                <button type="button" class="small danger" aria-label={`Delete ${c.name}`}
                        onClick={() => setEditing({ kind: 'delete', channel: c })}>Delete</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing && (
        <EditDialog api={api} editing={editing} onClose={() => setEditing(null)}
                    onDone={async (msg) => {
                      setEditing(null);
                      await run(async () => setChannels(await api.channels()), msg);
                    }} />
      )}
    </section>
  );
}

function EditDialog({ api, editing, onClose, onDone }: {
  api: Api; editing: Editing; onClose: () => void; onDone: (msg: string) => void;
}) {
  const c = editing.channel;
  const [value, setValue] = useState(editing.kind === 'rename' ? c.name : c.description ?? '');
  const [purge, setPurge] = useState(false);
  const { busy, error, run } = useAction();

  const submit = async (ev: Event) => {
    ev.preventDefault();
    let done: string;
    const ok = await run(async () => {
      if (editing.kind === 'rename') {
        await api.updateChannel(c.id, { name: value.trim() });
        done = `Channel ${c.name} renamed to ${value.trim()}.`;
      } else if (editing.kind === 'describe') {
        await api.updateChannel(c.id, { description: value });
        done = `Description of ${c.name} saved.`;
      } else {
        await api.deleteChannel(c.id, purge);
        done = `Channel ${c.name} deleted${purge ? ' with its messages' : ''}.`;
      }
      return true;
    });
    if (ok) onDone(done!);
  };

  const title = editing.kind === 'rename' ? `Rename ${c.name}`
    : editing.kind === 'describe' ? `Describe ${c.name}` : `Delete ${c.name}?`;
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit}>
        {editing.kind === 'delete' ? (
          <>
            <p>{`The channel ${c.name} will be removed for everyone.`}</p>
            <label class="check">
              <input type="checkbox" checked={purge}
                     onChange={(e) => setPurge((e.target as HTMLInputElement).checked)} />
              Purge messages
            </label>
            <p class="hint">{purge ? 'Its messages will be deleted too.' : 'Its messages will be kept in the database.'}</p>
          </>
        ) : (
          <label>
            {editing.kind === 'rename' ? 'New name' : 'Description'}
            <input value={value} required={editing.kind === 'rename'} autoFocus
                   onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
          </label>
        )}
        {error && <p class="error" role="alert">{error}</p>}
        <p class="row">
          <button type="submit" class={editing.kind === 'delete' ? 'danger' : ''} disabled={busy}>
            {editing.kind === 'delete' ? 'Delete' : 'Save'}
          </button>
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
        </p>
      </form>
    </Dialog>
  );
}
