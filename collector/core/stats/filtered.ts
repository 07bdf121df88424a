/**
 * @module Filtered views: `filter=dimension:value`, repeatable, on aggregate, timeseries,
 * breakdown and export.
 *
 * Rollups are kept per single dimension, so they answer a filter only on the dimension
 * asked about. Every other filtered question reads the visit grain (`visit`, `visit_page`,
 * `visit_event`): one row per visit with its dimensions, and its pageviews and custom
 * events per page and hour. Every counter there is exact. Visitors are not: the visit grain
 * keeps nothing that ties two visits of one visitor together, so a filtered view estimates
 * them from the visits it counts (`estimateVisitors`). ARCHITECTURE.md, "Filters", gives
 * the semantics; the reference-model test checks them and measures the estimate's error.
 */
import { emptyCounters } from '../aggregate/cells.ts';
import {
  BREAKDOWN_DIMENSIONS,
  type BreakdownDimension,
  type Counters,
  DIMENSION_CODES,
  type Dimension,
  dimensionKind,
} from '../dimensions.ts';
import type { Site, Store, VisitGrainQuery } from '../store.ts';
import { formatBucket, formatDay } from '../time/zone.ts';
import { addInto, countersByValue, type Interval, timeseries, totals } from './query.ts';
import type { StatsRange } from './range.ts';

/** Filter values by dimension: values of one dimension are alternatives, dimensions must all hold. */
export type Filters = ReadonlyMap<BreakdownDimension, readonly string[]>;

/** At most this many `filter` parameters: each is one condition of one SQL statement. */
const MAX_FILTERS = 20;

/**
 * `filter=dimension:value`, repeatable: values of one dimension are alternatives, dimensions
 * must all hold. Answers the message of a 400 when one is malformed.
 */
export function parseFilters(texts: readonly string[]): Filters | string {
  if (texts.length > MAX_FILTERS) return `"filter": at most ${MAX_FILTERS} filters`;
  const filters = new Map<BreakdownDimension, string[]>();
  for (const text of texts) {
    const at = text.indexOf(':');
    if (at <= 0) return `"filter" must be dimension:value, not ${JSON.stringify(text)}`;
    const dim = text.slice(0, at);
    if (!(BREAKDOWN_DIMENSIONS as readonly string[]).includes(dim)) {
      return `"filter": ${JSON.stringify(dim)} is not one of ${BREAKDOWN_DIMENSIONS.join(', ')}`;
    }
    const values = filters.get(dim as BreakdownDimension) ?? [];
    const value = text.slice(at + 1);
    if (!values.includes(value)) values.push(value);
    filters.set(dim as BreakdownDimension, values);
  }
  return filters;
}

/** Counters of a filtered row, and the distinct matching visits its visitor estimate starts from. */
export interface Measured {
  counters: Counters;
  basis: number;
}

/**
 * Visitors of a filtered row: one per matching visit, capped at the visitors of the same
 * period unfiltered. Both bound the truth from above, so the estimate never undercounts; it
 * overcounts by the visitors who came more than once in the filtered view. (Scaling by the
 * site's visitors per visit instead undercounted by 17–23% on the reference stream: a
 * filtered view holds fewer visits per visitor than the whole site.)
 */
export function estimateVisitors(basis: number, unfiltered: Counters): number {
  return Math.min(basis, unfiltered.visitors);
}

/** The one dimension value of a single `filter`, whose own rollup counts its visitors exactly. */
export function singleFilter(filters: Filters): { dim: BreakdownDimension; value: string } | undefined {
  if (filters.size !== 1) return undefined;
  const [[dim, values]] = [...filters] as [[BreakdownDimension, readonly string[]]];
  return values.length === 1 ? { dim, value: values[0] as string } : undefined;
}

/**
 * The filtered view's counters, one entry per value of `by` (or '' for all) and per period
 * (hour bucket, local day, or 0 for the whole range). Visitors are left at 0: see `basis`.
 */
export async function measure(
  store: Store,
  site: Site,
  range: StatsRange,
  filters: Filters,
  by: BreakdownDimension | undefined,
  period: VisitGrainQuery['period'],
): Promise<Map<string, Map<number, Measured>>> {
  const kind = by === undefined ? 'all' : dimensionKind(by);
  // A visit row carries its whole pageviews and events: over whole days (a visit never leaves
  // its day) they are the range's, unless a page or event filter counts only some of them.
  const wholeVisits = range.wholeDays && period !== 'hour';
  const pagesApart = !wholeVisits || filters.has('page');
  const eventsApart = !wholeVisits || filters.has('event');
  const measures: VisitGrainQuery['measure'][] =
    kind === 'all' || kind === 'visit'
      ? [
          'visits',
          ...(pagesApart ? (['pages'] as const) : []),
          ...(kind === 'all' && eventsApart ? (['events'] as const) : []),
        ]
      : kind === 'entry_exit'
        ? ['visits']
        : kind === 'page'
          ? ['pages']
          : ['events'];
  const out = new Map<string, Map<number, Measured>>();
  for (const which of measures) {
    const rows = await store.visitGrain({
      siteId: site.id,
      from: range.fromBucket,
      to: range.toBucket,
      filters,
      measure: which,
      ...(by === undefined ? {} : { groupBy: by }),
      period,
    });
    for (const row of rows) {
      let periods = out.get(row.value);
      if (!periods) {
        periods = new Map();
        out.set(row.value, periods);
      }
      let entry = periods.get(row.time);
      if (!entry) {
        entry = { counters: emptyCounters(), basis: 0 };
        periods.set(row.time, entry);
      }
      const c = entry.counters;
      if (which === 'visits') {
        c.visits += row.visits;
        c.bounces += row.bounces;
        c.duration_ms += row.duration_ms;
        if (!pagesApart) c.pageviews += row.pageviews;
        if (!eventsApart) c.events += row.events;
        entry.basis = row.basis;
      } else if (which === 'pages') {
        c.pageviews += row.pageviews;
        c.engaged_ms += row.engaged_ms;
        if (kind === 'page') entry.basis = row.basis;
      } else {
        c.events += row.events;
        if (kind === 'event') entry.basis = row.basis;
      }
    }
  }
  return out;
}

/** The aggregate of a filtered view. */
export async function filteredTotals(
  store: Store,
  site: Site,
  range: StatsRange,
  filters: Filters,
): Promise<Counters> {
  const single = singleFilter(filters);
  // One value of a visit dimension (source, browser, country, …): its rollup rows hold the
  // whole view, exact and in milliseconds, where the visit grain takes seconds over a year.
  if (single && dimensionKind(single.dim) === 'visit')
    return totals(store, site, range, single.dim, single.value);
  const found = (await measure(store, site, range, filters, undefined, 'all')).get('')?.get(0);
  const counters = found?.counters ?? emptyCounters();
  counters.visitors = single
    ? (await totals(store, site, range, single.dim, single.value)).visitors
    : estimateVisitors(found?.basis ?? 0, await totals(store, site, range, 'total'));
  return counters;
}

/** A breakdown of a filtered view: exact from the rollups when every filter is on `by` itself. */
export async function filteredBreakdown(
  store: Store,
  site: Site,
  range: StatsRange,
  filters: Filters,
  by: BreakdownDimension,
): Promise<Map<string, Counters>> {
  const own = filters.get(by);
  if (own && filters.size === 1) {
    const out = new Map<string, Counters>();
    for (const value of new Set(own)) {
      const found = (await countersByValue(store, site, range, by, value, true)).get(value);
      if (found) out.set(value, found);
    }
    return out;
  }
  const unfiltered = await totals(store, site, range, 'total');
  const out = new Map<string, Counters>();
  for (const [value, periods] of await measure(store, site, range, filters, by, 'all')) {
    const found = periods.get(0);
    if (!found || isEmpty(found.counters)) continue;
    found.counters.visitors = estimateVisitors(found.basis, unfiltered);
    out.set(value, found.counters);
  }
  return out;
}

/** A filtered timeseries: the unfiltered one's periods, each with the filtered view's counters. */
export async function filteredTimeseries(
  store: Store,
  site: Site,
  range: StatsRange,
  interval: Interval,
  filters: Filters,
): Promise<{ time: number; counters: Counters; label: string }[]> {
  const single = singleFilter(filters);
  const exact = single && (await timeseries(store, site, range, interval, single.dim, single.value));
  if (exact && single && dimensionKind(single.dim) === 'visit') return exact;
  const points = await timeseries(store, site, range, interval, 'total', undefined);
  const byLabel = new Map<string, Measured>();
  const periods =
    (await measure(store, site, range, filters, undefined, interval === 'hour' ? 'hour' : 'day')).get('') ??
    new Map<number, Measured>();
  for (const [time, found] of periods) {
    const label =
      interval === 'hour'
        ? formatBucket(time)
        : interval === 'day'
          ? formatDay(time)
          : formatDay(time).slice(0, 7);
    const sum = byLabel.get(label);
    if (!sum) byLabel.set(label, { counters: { ...found.counters }, basis: found.basis });
    else {
      addInto(sum.counters, found.counters);
      sum.basis += found.basis;
    }
  }
  return points.map((point, i) => {
    const found = byLabel.get(point.label);
    const counters = found ? found.counters : emptyCounters();
    counters.visitors = exact
      ? (exact[i]?.counters.visitors ?? 0)
      : estimateVisitors(found?.basis ?? 0, point.counters);
    return { time: point.time, counters, label: point.label };
  });
}

/**
 * A filtered view's export rows: per period (hour bucket or local day), per dimension and
 * value, visitors estimated against the unfiltered total of the same period.
 */
export async function filteredExportRows(
  store: Store,
  site: Site,
  range: StatsRange,
  interval: 'hour' | 'day',
  filters: Filters,
  dims: readonly Dimension[],
): Promise<{ time: number; dim: Dimension; value: string; counters: Counters }[]> {
  const totalsByPeriod = new Map(
    (
      await store.rollup({
        siteId: site.id,
        grain: interval,
        dim: DIMENSION_CODES.total,
        from: interval === 'hour' ? range.fromBucket : range.fromDay,
        to: interval === 'hour' ? range.toBucket : range.toDay,
        groupBy: 'time',
      })
    ).map((row) => [row.time, row]),
  );
  const out: { time: number; dim: Dimension; value: string; counters: Counters }[] = [];
  for (const dim of dims) {
    const by = dim === 'total' ? undefined : (dim as BreakdownDimension);
    for (const [value, periods] of await measure(store, site, range, filters, by, interval)) {
      for (const [time, found] of periods) {
        if (isEmpty(found.counters)) continue;
        found.counters.visitors = estimateVisitors(found.basis, totalsByPeriod.get(time) ?? emptyCounters());
        out.push({ time, dim, value, counters: found.counters });
      }
    }
  }
  return out;
}

function isEmpty(c: Counters): boolean {
  return c.visits === 0 && c.pageviews === 0 && c.events === 0 && c.engaged_ms === 0;
}
