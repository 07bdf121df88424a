/**
 * @module The login form: the admin token, or a share token for one site. The answer sets
 * the session cookie (HttpOnly: this script never sees it).
 */
import { API_PATHS } from '../../collector/core/protocol.ts';
import type { SessionInfo } from '../../collector/core/routes/session.ts';
import { postJson } from './api.ts';
import { h } from './dom.ts';
import { apiForm } from './form.ts';

export function loginView(onLogin: (session: SessionInfo) => void): HTMLElement {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    spellcheck: 'false',
    placeholder: 'glimt_admin_… or glimt_share_…',
  });
  const form = apiForm({
    class: 'login',
    submit: 'Log in',
    fields: [
      h('h1', {}, 'Glimt'),
      h('p', { class: 'lead' }, 'Privacy-first web analytics. Log in to see your sites.'),
      h('label', { for: 'token' }, 'Admin token or share token'),
      input,
    ],
    after: [
      h(
        'p',
        { class: 'hint' },
        'The admin token was printed once when Glimt first started (or is GLIMT_ADMIN_TOKEN). A share token comes from ',
        h('code', {}, 'npx glimt share add DOMAIN'),
        '. Logging in sets one cookie, for this dashboard only.',
      ),
    ],
    action: async () => onLogin(await postJson<SessionInfo>(API_PATHS.session, { token: input.value })),
    onError: () => input.select(),
  });
  queueMicrotask(() => input.focus());
  return h('main', { class: 'center' }, form);
}
