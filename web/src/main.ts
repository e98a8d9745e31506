/** Entry point: resume a saved session or show the login form. */
import { Api, type Session } from './api.js';
import { startApp } from './ui/app.js';
import { renderLogin } from './ui/login.js';

const SESSION_KEY = 'presenced.session';

function loadSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as Partial<Session> | null;
    if (s && typeof s.userId === 'string' && typeof s.deviceId === 'string' && typeof s.accessToken === 'string') {
      return { userId: s.userId, deviceId: s.deviceId, accessToken: s.accessToken };
    }
  } catch {
    // A damaged entry is the same as none.
  }
  return null;
}

function boot(): void {
  const root = document.getElementById('app');
  if (!root) return;
  // Same origin: the homeserver serves this page.
  const api = new Api('');

  const signedIn = (session: Session) => {
    localStorage.setItem(SESSION_KEY, JSON.stringify(session));
    api.session = session;
    startApp({
      root,
      api,
      session,
      storage: localStorage,
      search: location.search,
      onLoggedOut: () => {
        localStorage.removeItem(SESSION_KEY);
        api.session = null;
        renderLogin(root, api, signedIn);
      },
    });
  };

  const saved = loadSession();
  if (saved) signedIn(saved);
  else renderLogin(root, api, signedIn);
}

boot();
