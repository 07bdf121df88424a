/**
 * @module Adding a site from the dashboard (admin only), then the snippet to paste into its pages.
 * The checks are the CLI's (`checkSite` on the server); its errors name the field.
 */
import { API_PATHS, TRACKER_PATH } from '../../collector/core/protocol.ts';
import type { SiteInfo } from '../../collector/core/routes/sites.ts';
import { postJson } from './api.ts';
import { h } from './dom.ts';
import { apiForm } from './form.ts';

/** The one line a site owner pastes into every page. */
export const snippet = (origin: string, domain: string): string =>
  `<script defer src="${origin}${TRACKER_PATH}" data-site="${domain}"></script>`;

function zones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

export function addSiteView(onAdded: (site: SiteInfo) => void, open: (domain: string) => void): HTMLElement {
  const domain = h('input', {
    id: 'domain',
    name: 'domain',
    required: true,
    placeholder: 'example.com',
    spellcheck: 'false',
  });
  const zone = h('input', {
    id: 'timezone',
    name: 'timezone',
    list: 'zones',
    value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  });
  const list = h('datalist', { id: 'zones' }, ...zones().map((name) => h('option', { value: name })));
  const form = apiForm({
    class: 'add-site',
    submit: 'Add site',
    fields: [
      h('h1', {}, 'Add a site'),
      h('label', { for: 'domain' }, 'Domain'),
      domain,
      h('label', { for: 'timezone' }, 'Time zone (days and reports follow its midnight)'),
      zone,
      list,
    ],
    action: async (status) => {
      const site = await postJson<SiteInfo>(API_PATHS.sites, { domain: domain.value, timezone: zone.value });
      onAdded(site);
      status.replaceChildren(added(site, open));
      domain.value = '';
    },
  });
  return h('main', { class: 'center' }, form);
}

function added(site: SiteInfo, open: (domain: string) => void): HTMLElement {
  const code = snippet(location.origin, site.domain);
  const copy = h('button', { type: 'button', class: 'copy' }, 'Copy');
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(code).then(() => copy.replaceChildren('Copied'));
  });
  return h(
    'div',
    { class: 'snippet' },
    h(
      'p',
      {},
      h('strong', {}, site.domain),
      ` added (time zone ${site.timezone}). Paste this into the <head> of its pages:`,
    ),
    h('pre', {}, h('code', {}, code)),
    h(
      'p',
      { class: 'actions' },
      copy,
      h(
        'button',
        { type: 'button', class: 'link', onclick: () => open(site.domain) },
        `Open ${site.domain}'s dashboard`,
      ),
    ),
  );
}
