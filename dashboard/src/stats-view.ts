/**
 * @module One site's dashboard: filters, top numbers, the chart, the breakdown panels, and
 * what was dropped on purpose.
 */
import { API_PATHS } from '../../collector/core/protocol.ts';
import type { SiteInfo } from '../../collector/core/routes/sites.ts';
import type {
  AggregateMetrics,
  DroppedRow,
  Realtime,
  TimeseriesPoint,
} from '../../collector/core/stats/metrics.ts';
import { api, statsUrl } from './api.ts';
import { chart } from './chart.ts';
import { errorMessage, h, notice } from './dom.ts';
import { dropReason, formatCount, formatDecimal, formatDuration, formatRate } from './format.ts';
import { DIMENSION_LABELS, PANELS, panel, valueLabel } from './panels.ts';
import { type DayRange, todayIn } from './period.ts';
import { type DashboardState, type Filter, withFilter, withoutFilter } from './state.ts';

type Metric = keyof AggregateMetrics;

const TOP_NUMBERS: readonly [Metric, string, (n: number) => string][] = [
  ['visitors', 'Visitors', formatCount],
  ['visits', 'Visits', formatCount],
  ['pageviews', 'Pageviews', formatCount],
  ['views_per_visit', 'Views per visit', formatDecimal],
  ['bounce_rate', 'Bounce rate', formatRate],
  ['visit_duration', 'Visit duration', formatDuration],
  ['events', 'Events', formatCount],
];

export function statsView(
  state: DashboardState,
  site: SiteInfo,
  range: DayRange,
  navigate: (next: DashboardState) => void,
): HTMLElement {
  const onFilter = (filter: Filter) => navigate(withFilter(state, filter));
  const exportUrl = statsUrl(API_PATHS.export, state, range, {
    interval: range.interval === 'hour' ? 'hour' : 'day',
  });
  return h(
    'main',
    { class: 'stats' },
    h(
      'div',
      { class: 'toolbar' },
      filterChips(state, navigate),
      h('a', { class: 'export', href: exportUrl, download: '' }, 'Export CSV'),
    ),
    topNumbers(state, site, range),
    timeseries(state, site, range),
    h('div', { class: 'panels' }, ...PANELS.map((spec) => panel(spec, state, range, onFilter))),
    dropped(state, range),
  );
}

function filterChips(state: DashboardState, navigate: (next: DashboardState) => void): HTMLElement {
  if (state.filters.length === 0)
    return h('p', { class: 'filters none' }, 'All visits. Click a row below to filter.');
  return h(
    'ul',
    { class: 'filters', 'aria-label': 'Active filters' },
    ...groupedByDimension(state.filters).map((filter, i, all) =>
      h(
        'li',
        { class: 'chip', 'data-filter': `${filter.dim}:${filter.value}` },
        h(
          'span',
          {},
          // Values of one dimension are alternatives (the API's OR); dimensions must all hold.
          all[i - 1]?.dim === filter.dim ? 'or ' : `${DIMENSION_LABELS[filter.dim]} is `,
          h('strong', {}, valueLabel(filter.dim, filter.value)),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'remove',
            'aria-label': `Remove filter ${filter.dim} ${filter.value}`,
            onclick: () => navigate(withoutFilter(state, filter)),
          },
          '×',
        ),
      ),
    ),
  );
}

/** Filters with the values of one dimension side by side, dimensions in the order first chosen. */
function groupedByDimension(filters: readonly Filter[]): Filter[] {
  const order = [...new Set(filters.map((f) => f.dim))];
  return [...filters].sort((a, b) => order.indexOf(a.dim) - order.indexOf(b.dim));
}

/** The realtime number's refresh: one at a time, stopped when its view is gone. */
let liveTimer: ReturnType<typeof setInterval> | undefined;
const LIVE_REFRESH_MS = 30_000;

function topNumbers(state: DashboardState, site: SiteInfo, range: DayRange): HTMLElement {
  const box = h('section', { class: 'numbers', 'aria-label': 'Top numbers' }, notice('Loading…'));
  const live = h('span', { class: 'value' }, '…');
  const refresh = () =>
    api<Realtime>(`${API_PATHS.realtime}?${new URLSearchParams({ site: site.domain })}`).then(
      (answer) => live.replaceChildren(formatCount(answer.visitors)),
      () => live.replaceChildren('–'),
    );
  void refresh();
  clearInterval(liveTimer);
  liveTimer = setInterval(() => {
    if (live.isConnected) void refresh();
    else clearInterval(liveTimer);
  }, LIVE_REFRESH_MS);
  void api<AggregateMetrics>(statsUrl(API_PATHS.aggregate, state, range)).then(
    (totals) => {
      const cards = TOP_NUMBERS.filter(([metric]) => totals[metric] !== undefined).map(
        ([metric, label, format]) =>
          h(
            'div',
            { class: 'number', 'data-metric': metric },
            h('span', { class: 'label' }, label),
            h('span', { class: 'value' }, format(totals[metric] ?? 0)),
          ),
      );
      box.replaceChildren(
        h(
          'div',
          {
            class: 'number realtime',
            'data-metric': 'realtime',
            title: 'Visitors seen in the last 5 minutes',
          },
          h('span', { class: 'label' }, h('span', { class: 'pulse', 'aria-hidden': 'true' }), 'Now'),
          live,
        ),
        ...cards,
      );
    },
    (error) => box.replaceChildren(notice(errorMessage(error), 'error')),
  );
  return box;
}

function timeseries(state: DashboardState, site: SiteInfo, range: DayRange): HTMLElement {
  const box = h('section', { class: 'timeseries' }, notice('Loading…'));
  void api<TimeseriesPoint[]>(
    statsUrl(API_PATHS.timeseries, state, range, { interval: range.interval }),
  ).then(
    (points) => {
      const empty = points.every((p) => p.visitors === 0 && p.pageviews === 0);
      box.replaceChildren(
        chart(points, site.timezone, Date.now(), todayIn(site.timezone, Date.now())),
        empty
          ? notice(
              `No visits in this period yet. Is the snippet on ${site.domain}'s pages? Events show here about a second after they arrive.`,
            )
          : '',
      );
    },
    (error) => box.replaceChildren(notice(errorMessage(error), 'error')),
  );
  return box;
}

/** Events dropped on purpose (bots, opt-outs): small, so the numbers are honest about what they leave out. */
function dropped(state: DashboardState, range: DayRange): HTMLElement {
  const box = h('footer', { class: 'dropped' });
  void api<DroppedRow[]>(statsUrl(API_PATHS.dropped, state, range, {}, false)).then(
    (rows) => {
      const total = rows.reduce((sum, row) => sum + row.events, 0);
      box.replaceChildren(
        total === 0
          ? 'No events were dropped in this period.'
          : `Not counted, on purpose: ${rows.map((row) => `${formatCount(row.events)} ${dropReason(row.reason)}`).join(', ')}.`,
      );
    },
    (error) => box.replaceChildren(`Dropped events: ${errorMessage(error)}`),
  );
  return box;
}
