/**
 * @module The dashboard's state, kept in the URL query so that a view can be bookmarked and
 * shared: `?site=example.com&period=7d&filter=source:Google&filter=device:mobile`.
 * Filters use the stats API's own form (`filter=dimension:value`, repeatable).
 */
import { BREAKDOWN_DIMENSIONS, type BreakdownDimension } from '../../collector/core/dimensions.ts';
import { isDate, PERIODS, type Period } from './period.ts';

export interface Filter {
  dim: BreakdownDimension;
  value: string;
}

export interface DashboardState {
  /** The dashboard of a site, or the form that adds one. */
  view: 'stats' | 'add-site';
  site?: string;
  period: Period;
  /** Only for `custom`. */
  from?: string;
  to?: string;
  filters: Filter[];
}

export const DEFAULT_PERIOD: Period = '30d';

const isPeriod = (text: string | null): text is Period => text !== null && Object.hasOwn(PERIODS, text);
const isDimension = (text: string): text is BreakdownDimension =>
  (BREAKDOWN_DIMENSIONS as readonly string[]).includes(text);

/** `dimension:value` → a filter; the value may hold colons. Undefined when the dimension is unknown. */
export function parseFilter(text: string): Filter | undefined {
  const colon = text.indexOf(':');
  if (colon < 1) return undefined;
  const dim = text.slice(0, colon);
  return isDimension(dim) ? { dim, value: text.slice(colon + 1) } : undefined;
}

export const filterParam = (filter: Filter): string => `${filter.dim}:${filter.value}`;

/** What a query string says; anything unknown or malformed falls back to the default. */
export function parseState(search: string): DashboardState {
  const query = new URLSearchParams(search);
  const period = query.get('period');
  const state: DashboardState = {
    view: query.get('view') === 'add-site' ? 'add-site' : 'stats',
    period: isPeriod(period) ? period : DEFAULT_PERIOD,
    filters: [],
  };
  const site = query.get('site');
  if (site) state.site = site;
  if (state.period === 'custom') {
    const from = query.get('from');
    const to = query.get('to');
    if (from && isDate(from)) state.from = from;
    if (to && isDate(to)) state.to = to;
  }
  for (const text of query.getAll('filter')) {
    const filter = parseFilter(text);
    if (filter && !hasFilter(state, filter)) state.filters.push(filter);
  }
  return state;
}

/** The query string of a state (`?…`), defaults left out. */
export function stateQuery(state: DashboardState): string {
  const query = new URLSearchParams();
  if (state.view !== 'stats') query.set('view', state.view);
  if (state.site) query.set('site', state.site);
  if (state.period !== DEFAULT_PERIOD) query.set('period', state.period);
  if (state.period === 'custom') {
    if (state.from) query.set('from', state.from);
    if (state.to) query.set('to', state.to);
  }
  for (const filter of state.filters) query.append('filter', filterParam(filter));
  const text = query.toString();
  return text ? `?${text}` : '';
}

export const hasFilter = (state: DashboardState, filter: Filter): boolean =>
  state.filters.some((f) => f.dim === filter.dim && f.value === filter.value);

export function withFilter(state: DashboardState, filter: Filter): DashboardState {
  return hasFilter(state, filter) ? state : { ...state, filters: [...state.filters, filter] };
}

export function withoutFilter(state: DashboardState, filter: Filter): DashboardState {
  return { ...state, filters: state.filters.filter((f) => f.dim !== filter.dim || f.value !== filter.value) };
}
