// The app's entry: the silent-renew page only hands its answer back; every other path is the app.

import { render } from 'preact';
import { silentCallback } from './auth';
import { onLinkClick } from './router';
import { App } from './ui/App';
import './styles.css';

if (location.pathname === '/chat/silent-callback') {
  void silentCallback().catch((e) => console.warn('natter: silent renew callback failed', e));
} else {
  document.addEventListener('click', onLinkClick);
  render(<App />, document.getElementById('app')!);
}
