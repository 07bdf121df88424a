/**
 * @module The breakdown panels: tabs of dimensions, their top rows as bars. Clicking a row
 * narrows the whole view to it (`filter=dimension:value`).
 */
import { type BreakdownDimension, dimensionKind } from '../../collector/core/dimensions.ts';
import { API_PATHS } from '../../collector/core/protocol.ts';
import type { BreakdownRow } from '../../collector/core/stats/metrics.ts';
import { api, statsUrl } from './api.ts';
import { errorMessage, h, notice } from './dom.ts';
import { countryName, formatCount } from './format.ts';
import type { DayRange } from './period.ts';
import { type DashboardState, type Filter, hasFilter } from './state.ts';

interface Panel {
  title: string;
  tabs: readonly (readonly [BreakdownDimension, string])[];
}

export const PANELS: readonly Panel[] = [
  {
    title: 'Pages',
    tabs: [
      ['page', 'Top pages'],
      ['entry_page', 'Entry pages'],
      ['exit_page', 'Exit pages'],
    ],
  },
  {
    title: 'Sources',
    tabs: [
      ['source', 'Sources'],
      ['referrer', 'Referrers'],
      ['utm_source', 'UTM source'],
      ['utm_medium', 'UTM medium'],
      ['utm_campaign', 'UTM campaign'],
    ],
  },
  {
    title: 'Devices',
    tabs: [
      ['browser', 'Browsers'],
      ['os', 'Operating systems'],
      ['device', 'Devices'],
    ],
  },
  { title: 'Countries', tabs: [['country', 'Countries']] },
  { title: 'Events', tabs: [['event', 'Events']] },
];

/** A dimension's name in a filter chip. */
export const DIMENSION_LABELS: Record<BreakdownDimension, string> = {
  page: 'Page',
  entry_page: 'Entry page',
  exit_page: 'Exit page',
  source: 'Source',
  referrer: 'Referrer',
  utm_source: 'UTM source',
  utm_medium: 'UTM medium',
  utm_campaign: 'UTM campaign',
  utm_term: 'UTM term',
  utm_content: 'UTM content',
  browser: 'Browser',
  browser_version: 'Browser version',
  os: 'Operating system',
  device: 'Device',
  country: 'Country',
  event: 'Event',
};

/** The tab each panel shows, kept while the page is open. */
const chosen = new Map<string, BreakdownDimension>();

/** The second column of a row, by the kind of its dimension. */
function secondMetric(dim: BreakdownDimension, row: BreakdownRow): [string, number] {
  if ('events' in row) return ['Events', row.events];
  if (dimensionKind(dim) === 'entry_exit' && 'visits' in row) return ['Visits', row.visits];
  return ['Pageviews', 'pageviews' in row ? row.pageviews : 0];
}

export const valueLabel = (dim: BreakdownDimension, value: string): string =>
  dim === 'country' ? countryName(value) : value;

export function panel(
  spec: Panel,
  state: DashboardState,
  range: DayRange,
  onFilter: (filter: Filter) => void,
): HTMLElement {
  const body = h('div', { class: 'panel-body' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const show = (dim: BreakdownDimension) => {
    chosen.set(spec.title, dim);
    for (const tab of tabs.children)
      tab.setAttribute('aria-selected', String(tab.getAttribute('data-dim') === dim));
    body.replaceChildren(notice('Loading…'));
    void rows(dim, state, range, onFilter).then((content) => body.replaceChildren(content));
  };
  if (spec.tabs.length > 1) {
    for (const [dim, label] of spec.tabs)
      tabs.append(
        h('button', { type: 'button', role: 'tab', 'data-dim': dim, onclick: () => show(dim) }, label),
      );
  }
  const first = spec.tabs[0]?.[0] ?? 'page';
  show(chosen.get(spec.title) ?? first);
  return h(
    'section',
    { class: 'panel', 'data-panel': spec.title },
    h('header', {}, h('h2', {}, spec.title), tabs),
    body,
  );
}

async function rows(
  dim: BreakdownDimension,
  state: DashboardState,
  range: DayRange,
  onFilter: (filter: Filter) => void,
): Promise<HTMLElement> {
  let data: BreakdownRow[];
  try {
    data = await api<BreakdownRow[]>(statsUrl(API_PATHS.breakdown, state, range, { by: dim, limit: '10' }));
  } catch (error) {
    return notice(errorMessage(error), 'error');
  }
  if (data.length === 0) return notice('Nothing here for this period.');
  const top = Math.max(1, ...data.map((row) => row.visitors));
  const [second] = secondMetric(dim, data[0] as BreakdownRow);
  return h(
    'div',
    { class: 'rows' },
    h('div', { class: 'row head' }, h('span', {}, ''), h('span', {}, 'Visitors'), h('span', {}, second)),
    ...data.map((row) => {
      const filter = { dim, value: row.value };
      const active = hasFilter(state, filter);
      return h(
        'button',
        {
          type: 'button',
          class: `row${active ? ' active' : ''}`,
          'data-value': row.value,
          title: active ? 'This filter is on' : `Show only ${valueLabel(dim, row.value)}`,
          onclick: () => onFilter(filter),
        },
        h(
          'span',
          { class: 'label' },
          h('span', { class: 'bar', style: `width:${((row.visitors / top) * 100).toFixed(1)}%` }),
          h('span', { class: 'text' }, valueLabel(dim, row.value)),
        ),
        h('span', { class: 'num' }, formatCount(row.visitors)),
        h('span', { class: 'num' }, formatCount(secondMetric(dim, row)[1])),
      );
    }),
  );
}
