/**
 * @module The dashboard's entry: who is logged in, the header (site, period, actions), and the
 * view the URL asks for. Bundled by `dashboard/build.ts` into `/dashboard.js`.
 */
import { API_PATHS } from '../../collector/core/protocol.ts';
import type { SessionInfo } from '../../collector/core/routes/session.ts';
import type { SiteInfo } from '../../collector/core/routes/sites.ts';
import { addSiteView } from './add-site.ts';
import { ApiError, api } from './api.ts';
import { errorMessage, h, notice } from './dom.ts';
import { loginView } from './login.ts';
import { PERIODS, type Period, rangeOf, todayIn } from './period.ts';
import { type DashboardState, parseState, stateQuery } from './state.ts';
import { statsView } from './stats-view.ts';

const root = document.getElementById('app') as HTMLElement;
let session: SessionInfo | undefined;
let sites: SiteInfo[] = [];

function navigate(state: DashboardState, replace = false): void {
  const url = stateQuery(state) || location.pathname;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

async function boot(): Promise<void> {
  try {
    session = await api<SessionInfo>(API_PATHS.session);
    sites = await api<SiteInfo[]>(API_PATHS.sites);
  } catch (error) {
    session = undefined;
    if (error instanceof ApiError && error.status === 401) {
      root.replaceChildren(loginView(() => void boot()));
      return;
    }
    root.replaceChildren(h('main', { class: 'center' }, notice(errorMessage(error), 'error')));
    return;
  }
  render();
}

function render(): void {
  if (!session) return;
  const state = parseState(location.search);
  if (state.view === 'add-site' && session.kind === 'admin') {
    root.replaceChildren(
      header(state, undefined),
      addSiteView(
        (site) => {
          sites = [...sites, site].sort((a, b) => (a.domain < b.domain ? -1 : 1));
        },
        (domain) => navigate({ view: 'stats', site: domain, period: state.period, filters: [] }),
      ),
    );
    return;
  }
  const site = sites.find((s) => s.domain === state.site) ?? sites[0];
  if (!site) {
    root.replaceChildren(
      header(state, undefined),
      h(
        'main',
        { class: 'center' },
        notice(
          session.kind === 'admin'
            ? 'No site yet. Add one to get its snippet.'
            : 'The site of this share token is gone.',
        ),
        session.kind === 'admin'
          ? h(
              'button',
              { type: 'button', class: 'primary', onclick: () => navigate({ ...state, view: 'add-site' }) },
              'Add a site',
            )
          : '',
      ),
    );
    return;
  }
  if (state.site !== site.domain || state.view !== 'stats') {
    navigate({ ...state, view: 'stats', site: site.domain }, true);
    return;
  }
  const range = rangeOf(state.period, todayIn(site.timezone, Date.now()), state);
  document.title = `${site.domain} · Glimt`;
  root.replaceChildren(header(state, site), statsView(state, site, range, navigate));
}

function header(state: DashboardState, site: SiteInfo | undefined): HTMLElement {
  const controls: Node[] = [];
  if (site) {
    if (sites.length > 1) {
      controls.push(
        h(
          'select',
          {
            'aria-label': 'Site',
            class: 'site-picker',
            onchange: (event: Event) =>
              navigate({ ...state, site: (event.target as HTMLSelectElement).value, filters: [] }),
          },
          ...sites.map((s) => h('option', { value: s.domain, selected: s.domain === site.domain }, s.domain)),
        ),
      );
    } else {
      controls.push(h('span', { class: 'site-name' }, site.domain));
    }
    controls.push(periodPicker(state, site));
  }
  const actions: Node[] = [];
  if (session?.kind === 'admin') {
    actions.push(
      state.view === 'add-site'
        ? h(
            'button',
            { type: 'button', class: 'link', onclick: () => navigate({ ...state, view: 'stats' }) },
            'Back to stats',
          )
        : h(
            'button',
            { type: 'button', class: 'link', onclick: () => navigate({ ...state, view: 'add-site' }) },
            'Add site',
          ),
    );
  }
  actions.push(h('button', { type: 'button', class: 'link', onclick: () => void logout() }, 'Log out'));
  return h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: '/' }, 'Glimt'),
    h('div', { class: 'controls' }, ...controls),
    h('nav', { class: 'actions' }, ...actions),
  );
}

function periodPicker(state: DashboardState, site: SiteInfo): HTMLElement {
  const range = rangeOf(state.period, todayIn(site.timezone, Date.now()), state);
  const select = h(
    'select',
    {
      'aria-label': 'Period',
      class: 'period',
      onchange: (event: Event) => {
        const period = (event.target as HTMLSelectElement).value as Period;
        navigate(
          period === 'custom' ? { ...state, period, from: range.from, to: range.to } : { ...state, period },
        );
      },
    },
    ...Object.entries(PERIODS).map(([value, label]) =>
      h('option', { value, selected: value === state.period }, label),
    ),
  );
  if (state.period !== 'custom') return select;
  const date = (name: 'from' | 'to') =>
    h('input', {
      type: 'date',
      'aria-label': name === 'from' ? 'From' : 'To',
      value: range[name],
      onchange: (event: Event) => {
        const value = (event.target as HTMLInputElement).value;
        if (value) navigate({ ...state, from: range.from, to: range.to, [name]: value });
      },
    });
  return h('span', { class: 'period-range' }, select, date('from'), '–', date('to'));
}

async function logout(): Promise<void> {
  try {
    await api(API_PATHS.session, { method: 'DELETE' });
  } catch {
    // Logged out already (an expired session): the login form is what follows either way.
  }
  session = undefined;
  root.replaceChildren(loginView(() => void boot()));
}

window.addEventListener('popstate', render);
void boot();
