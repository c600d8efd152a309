// Users: search by name, a profile with the last 7 days of sessions, and temporary or permanent
// bans with a reason, always by the user's id.

import { useEffect, useState } from 'preact/hooks';
import type { Api, SessionDay, UserRow } from '../../api';
import { Feedback, errorText, useAction } from './common';

export function UsersPage({ api }: { api: Api }) {
  const [query, setQuery] = useState('');
  const [users, setUsers] = useState<UserRow[] | null>(null);
  const [chosen, setChosen] = useState<UserRow | null>(null);
  const { busy, error, note, run } = useAction();

  const search = async (ev: Event) => {
    ev.preventDefault();
    const r = await run(() => api.users(query.trim()));
    if (r) setUsers(r);
  };

  return (
    <section>
      <h1>Users</h1>
      <form class="inline-form" aria-label="Search users" onSubmit={search}>
        <label>
          Username
          <input type="search" value={query}
                 onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={busy}>Search</button>
      </form>
      <Feedback error={error} note={note} />
      {users && (users.length === 0 ? <p class="empty">No such user.</p> : (
        <ul class="user-list" aria-label="Users found">
          {users.map((u) => (
            <li key={u.id}>
              <button type="button" class="link" aria-pressed={chosen?.id === u.id}
                      onClick={() => setChosen(u)}>{u.username}</button>
              <span class="hint">{u.id}</span>
              {u.is_banned && <span class="tag">banned</span>}
            </li>
          ))}
        </ul>
      ))}
      {chosen && <Profile key={chosen.id} api={api} user={chosen}
                          onBanned={() => setUsers((us) => us && us.map((u) => (u.id === chosen.id ? { ...u, is_banned: true } : u)))} />}
    </section>
  );
}

function Profile({ api, user, onBanned }: { api: Api; user: UserRow; onBanned: () => void }) {
  const [sessions, setSessions] = useState<SessionDay[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [hours, setHours] = useState('');
  const { busy, error, note, run, setError } = useAction();

  useEffect(() => {
    api.sessions(user.id).then(
      (s) => setSessions([...s].sort((a, b) => b.session_date.localeCompare(a.session_date))),
      (e) => setLoadError(errorText(e)),
    );
  }, [user.id]);

  const ban = async (ev: Event) => {
    ev.preventDefault();
    const h = hours.trim() === '' ? null : Number(hours);
    if (h !== null && (!Number.isInteger(h) || h < 0)) {
      setError('The duration is a whole number of hours (empty or 0: permanent).');
      return;
    }
    const ok = await run(async () => {
      await api.ban(user.id, reason.trim(), h === 0 ? null : h);
      return true;
    }, h ? `${user.username} is banned for ${h} hours.` : `${user.username} is banned permanently.`);
    if (ok) onBanned();
  };

  return (
    <section class="profile" aria-labelledby="profile-heading">
      <h2 id="profile-heading">{user.username}</h2>
      <p class="hint">{`id ${user.id}${user.is_banned ? ' · banned' : ''}`}</p>
      <h3>Sessions in the last 7 days</h3>
      {loadError && <p class="error" role="alert">{loadError}</p>}
      {sessions && (sessions.length === 0 ? <p class="empty">No sessions.</p> : (
        <table class="grid">
          <thead><tr><th scope="col">Day</th><th scope="col">Sessions</th><th scope="col">Time online</th></tr></thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.session_date}><td>{s.session_date}</td><td>{s.session_count}</td><td>{s.total_duration}</td></tr>
            ))}
          </tbody>
        </table>
      ))}
      <h3>Ban</h3>
      <form class="inline-form" aria-label={`Ban ${user.username}`} onSubmit={ban}>
        <label>
          Reason
          <input value={reason} maxLength={500} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Duration (hours; empty for permanent)
          <input type="number" min={0} step={1} value={hours}
                 onInput={(e) => setHours((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="danger" disabled={busy}>Ban</button>
      </form>
      <Feedback error={error} note={note} />
    </section>
  );
}
