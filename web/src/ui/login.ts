/** Log in or create an account (password, with the m.login.dummy registration stage). */
import { ApiError, type Api, type Session } from '../api.js';
import { h, replace } from './dom.js';

export function renderLogin(root: HTMLElement, api: Api, onSession: (s: Session) => void): void {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const busy = (on: boolean) => {
    for (const b of form.querySelectorAll('button')) b.disabled = on;
  };

  async function go(mode: 'login' | 'register'): Promise<void> {
    error.textContent = '';
    if (!form.reportValidity()) return;
    busy(true);
    try {
      const name = user.value.trim();
      const s = mode === 'login' ? await api.login(name, pass.value) : await api.register(name, pass.value);
      onSession(s);
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : 'Could not reach the server';
      busy(false);
    }
  }

  const form = h(
    'form',
    { class: 'login panel', 'aria-labelledby': 'login-h', onsubmit: (ev) => { ev.preventDefault(); void go('login'); } },
    h('h1', { id: 'login-h' }, 'presenced'),
    h('p', { class: 'hint' }, `Sign in to ${location.host}`),
    h('label', { for: 'login-user' }, 'Username'),
    user,
    h('label', { for: 'login-pass' }, 'Password'),
    pass,
    error,
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'submit', class: 'primary' }, 'Log in'),
      h('button', { type: 'button', onclick: () => void go('register') }, 'Create account'),
    ),
  );
  replace(root, h('main', { class: 'login-page' }, form));
  user.focus();
}
