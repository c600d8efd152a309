// The admin console's frame: the section links and the section shown.

import { adminSection, adminSections } from '../router';
import type { Api } from '../api';
import type { ChatStore } from '../store';
import { Overview } from './admin/Overview';
import { ChannelsPage } from './admin/ChannelsPage';
import { MessagesPage } from './admin/MessagesPage';
import { UsersPage } from './admin/UsersPage';
import { BansPage } from './admin/BansPage';
import { SettingsPage } from './admin/SettingsPage';

export function AdminView({ api, path, store }: { api: Api; path: string; store: ChatStore }) {
  const section = adminSection(path);
  return (
    <div class="admin">
      <nav class="admin-nav" aria-label="Admin sections">
        <ul>
          {adminSections.map(([id, label]) => (
            <li key={id}>
              <a href={`/admin/${id}`} aria-current={id === section ? 'page' : undefined}>{label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main class="page">
        {section === 'overview' && <Overview api={api} />}
        {section === 'channels' && <ChannelsPage api={api} store={store} />}
        {section === 'messages' && <MessagesPage api={api} store={store} />}
        {section === 'users' && <UsersPage api={api} />}
        {section === 'bans' && <BansPage api={api} />}
        {section === 'settings' && <SettingsPage api={api} />}
      </main>
    </div>
  );
}
