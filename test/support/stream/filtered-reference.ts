/**
 * @module The reference model of filtered questions: `filter=dimension:value`, repeatable, on
 * the aggregate, the timeseries and the breakdown.
 *
 * Brute force over the visits of `ReferenceModel`, independently of the collector:
 *
 * - **Matching.** Filters are grouped by dimension: values of one dimension are OR'ed, dimensions
 *   AND'ed. A visit matches a visit dimension, `entry_page` or `exit_page` (its final exit) when
 *   its value is one of the values; `page` when it has a pageview of one of the pages; `event`
 *   when it has a custom event of one of the names (anywhere in the visit).
 * - **Counters over the hour buckets B of a span**, for the matching visits: visits, bounces and
 *   duration of those started in B; their pageviews, custom events and engaged time in B, the
 *   pageviews and engaged time restricted to the filtered pages when there is a `page` filter,
 *   the events to the filtered names when there is an `event` filter.
 * - **Visitors** are estimated (`estimateVisitors`) from the number of matching visits a row
 *   counts, capped at the unfiltered visitors of the same period, except where the API is
 *   exact: an aggregate or timeseries with exactly one filter (the rollup row of that value), and
 *   a breakdown filtered only on its own dimension (the unfiltered breakdown's rows).
 *
 * Every answer also carries the truth the estimate stands for (distinct visitor identities of
 * the visits it is estimated from), so the estimate's error can be measured.
 */
import {
  type BreakdownDimension,
  dimensionKind,
  type VisitDimension,
} from '../../../collector/core/dimensions.ts';
import type { BreakdownRow, Hit, ReferenceModel, RefVisit, Span } from './reference.ts';

export interface Filter {
  dim: BreakdownDimension;
  value: string;
}

/** The aggregate (and each timeseries point, without `time`) under filters: every field a number. */
export interface FilteredAggregate {
  visitors: number;
  visits: number;
  pageviews: number;
  bounce_rate: number;
  visit_duration: number;
  views_per_visit: number;
  /** Only when an `event` filter is present. */
  events?: number;
}

/** An answer with what its visitors stand for. */
export interface Detail {
  /** Whether visitors are the exact count (no estimate involved). */
  exact: boolean;
  /** The number of matching visits the visitors are estimated from. */
  basis: number;
  /** Distinct visitor identities (site, local day, address, User-Agent) of those visits. */
  truth: number;
  /** The estimate, or the exact count. */
  visitors: number;
}

export interface FilteredRow extends Detail {
  row: BreakdownRow;
  /** The counters the API orders by: pageviews + events. */
  pageviews: number;
  events: number;
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;
const ratio = (a: number, b: number, places: number) => (b === 0 ? 0 : round(a / b, places));

/**
 * Visitors of `basis` matching visits: at most one per visit, and at most the visitors of the
 * same period unfiltered. Both bound the truth from above, so the estimate never undercounts.
 */
export function estimateVisitors(basis: number, unfilteredVisitors: number): number {
  return Math.min(basis, unfilteredVisitors);
}

/** The filters of one question, grouped by dimension. */
type Groups = Map<BreakdownDimension, Set<string>>;

function groupFilters(filters: readonly Filter[]): Groups {
  const groups: Groups = new Map();
  for (const { dim, value } of filters) {
    const values = groups.get(dim) ?? new Set();
    values.add(value);
    groups.set(dim, values);
  }
  return groups;
}

/** Whether an hour bucket of a local day is inside a span: its periods, or the buckets starting in its instants. */
function inSpan(span: Span): (bucket: number, day: number) => boolean {
  if ('from' in span) return (bucket) => bucket >= span.from && bucket < span.to;
  const hours = new Set<number>();
  const days = new Set<number>();
  for (const period of span) {
    if ('hour' in period) hours.add(period.hour);
    else days.add(period.day);
  }
  return (bucket, day) => hours.has(bucket) || days.has(day);
}

const spanKey = (domain: string, span: Span) => `${domain} ${JSON.stringify(span)}`;
const isoOf = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/** What the counters of a set of visits add up to in a span. */
interface Tally {
  visits: number;
  bounces: number;
  durationMs: number;
  pageviews: number;
  events: number;
  /** The visits started in the span. */
  started: RefVisit[];
}

export class FilteredReference {
  /** Pages with a pageview, and custom event names, per visit. */
  readonly #contents = new WeakMap<RefVisit, { pages: Set<string>; events: Set<string> }>();
  /** The unfiltered aggregate per (site, span): R's numerator and denominator. */
  readonly #unfiltered = new Map<string, { visitors: number; visits: number }>();
  /** Unfiltered counters per (site, dimension, span), for the exact single-filter visitors. */
  readonly #rollups = new Map<string, Map<string, { visitors: number }>>();

  constructor(readonly model: ReferenceModel) {}

  #contentsOf(visit: RefVisit) {
    let contents = this.#contents.get(visit);
    if (!contents) {
      contents = { pages: new Set(), events: new Set() };
      for (const hit of visit.hits) {
        if (hit.kind === 'pageview') contents.pages.add(hit.page);
        else if (hit.kind === 'custom') contents.events.add(hit.name);
      }
      this.#contents.set(visit, contents);
    }
    return contents;
  }

  #matches(visit: RefVisit, groups: Groups): boolean {
    for (const [dim, values] of groups) {
      let ok: boolean;
      if (dim === 'page') ok = [...this.#contentsOf(visit).pages].some((page) => values.has(page));
      else if (dim === 'event') ok = [...this.#contentsOf(visit).events].some((name) => values.has(name));
      else if (dim === 'entry_page') ok = values.has(visit.entry);
      else if (dim === 'exit_page') ok = values.has(visit.exit);
      else ok = values.has(visit.dims[dim as VisitDimension]);
      if (!ok) return false;
    }
    return true;
  }

  /** The visits of a site that every filter group matches. */
  matching(domain: string, filters: readonly Filter[]): RefVisit[] {
    const groups = groupFilters(filters);
    return this.model.visitsOf(domain).filter((visit) => this.#matches(visit, groups));
  }

  /** Whether a hit counts under the filters: pageviews and engagements of the filtered pages, events of the filtered names. */
  static #counts(hit: Hit, groups: Groups): boolean {
    const restrict = hit.kind === 'custom' ? groups.get('event') : groups.get('page');
    return restrict === undefined || restrict.has(hit.kind === 'custom' ? hit.name : hit.page);
  }

  #tally(visits: readonly RefVisit[], groups: Groups, span: Span): Tally {
    const inside = inSpan(span);
    const tally: Tally = { visits: 0, bounces: 0, durationMs: 0, pageviews: 0, events: 0, started: [] };
    for (const visit of visits) {
      if (inside(visit.start, visit.day)) {
        tally.visits++;
        tally.bounces += visit.bounce ? 1 : 0;
        tally.durationMs += visit.durationMs;
        tally.started.push(visit);
      }
      for (const hit of visit.hits) {
        if (!inside(hit.bucket, hit.day) || !FilteredReference.#counts(hit, groups)) continue;
        if (hit.kind === 'pageview') tally.pageviews++;
        else if (hit.kind === 'custom') tally.events++;
      }
    }
    return tally;
  }

  /** The unfiltered aggregate of the same span, as the API answers it. */
  #unfilteredOf(domain: string, span: Span) {
    const key = spanKey(domain, span);
    let answer = this.#unfiltered.get(key);
    if (!answer) {
      const { visitors, visits } = this.model.aggregate(domain, span);
      answer = { visitors, visits };
      this.#unfiltered.set(key, answer);
    }
    return answer;
  }

  /** Exact visitors of one dimension value over a span (the rollup row, as `aggregateFiltered` reads it). */
  #exactVisitors(domain: string, { dim, value }: Filter, span: Span): number {
    const key = `${dim} ${spanKey(domain, span)}`;
    let rows = this.#rollups.get(key);
    if (!rows) {
      rows = this.model.counters(domain, dim, span);
      this.#rollups.set(key, rows);
    }
    return rows.get(value)?.visitors ?? 0;
  }

  static #distinct(visits: Iterable<RefVisit>): number {
    return new Set([...visits].map((visit) => visit.identity)).size;
  }

  /** `GET /api/stats/aggregate` with `filter=` once or more, and what its visitors stand for. */
  aggregateDetail(
    domain: string,
    filters: readonly Filter[],
    span: Span,
  ): { answer: FilteredAggregate; detail: Detail } {
    if (filters.length === 0) throw new Error('no filter: use ReferenceModel.aggregate');
    const groups = groupFilters(filters);
    const tally = this.#tally(this.matching(domain, filters), groups, span);
    const basis = tally.visits;
    const truth = FilteredReference.#distinct(tally.started);
    const [only] = filters;
    const exact = filters.length === 1 && only !== undefined;
    let visitors: number;
    if (exact) visitors = this.#exactVisitors(domain, only, span);
    else {
      const unfiltered = this.#unfilteredOf(domain, span);
      visitors = estimateVisitors(basis, unfiltered.visitors);
    }
    const answer: FilteredAggregate = {
      visitors,
      visits: tally.visits,
      pageviews: tally.pageviews,
      bounce_rate: ratio(tally.bounces, tally.visits, 4),
      visit_duration: ratio(tally.durationMs / 1000, tally.visits, 1),
      views_per_visit: ratio(tally.pageviews, tally.visits, 2),
      ...(groups.has('event') ? { events: tally.events } : {}),
    };
    return { answer, detail: { exact, basis, truth, visitors } };
  }

  /** `GET /api/stats/aggregate` with `filter=` once or more. */
  aggregate(domain: string, filters: readonly Filter[], span: Span): FilteredAggregate {
    return this.aggregateDetail(domain, filters, span).answer;
  }

  /** `GET /api/stats/timeseries?interval=day` over whole local days, with filters: each point estimated from its own day. */
  timeseriesDays(domain: string, filters: readonly Filter[], days: readonly number[]) {
    return days.map((day) => ({
      time: new Date(day * 86_400_000).toISOString().slice(0, 10),
      ...this.aggregate(domain, filters, [{ day }]),
    }));
  }

  /** `GET /api/stats/timeseries?interval=hour` over whole local days, with filters: each point from its own hour. */
  timeseriesHours(domain: string, filters: readonly Filter[], days: readonly number[]) {
    return days.flatMap((day) =>
      this.model
        .hoursOf(domain, day)
        .map((hour) => ({ time: isoOf(hour), ...this.aggregate(domain, filters, [{ hour }]) })),
    );
  }

  /**
   * `GET /api/stats/breakdown?by=X` with filters: every row, in the API's order (visitors
   * descending, then pageviews + events descending, then value), with what its visitors stand for.
   */
  breakdownDetail(
    domain: string,
    by: BreakdownDimension,
    filters: readonly Filter[],
    span: Span,
  ): FilteredRow[] {
    if (filters.length === 0) throw new Error('no filter: use ReferenceModel.breakdown');
    const kind = dimensionKind(by);
    const out: FilteredRow[] = [];

    if (filters.every((filter) => filter.dim === by)) {
      // Filtered only on its own dimension: the unfiltered breakdown's rows of those values.
      const values = new Set(filters.map((filter) => filter.value));
      const counters = this.model.counters(domain, by, span);
      for (const row of this.model.breakdown(domain, by, span)) {
        const value = String(row.value);
        const c = counters.get(value);
        if (!values.has(value) || !c) continue;
        const visitors = Number(row.visitors);
        out.push({
          row,
          pageviews: c.pageviews,
          events: c.events,
          exact: true,
          basis: visitors,
          truth: visitors,
          visitors,
        });
      }
      return sortRows(out);
    }

    const groups = groupFilters(filters);
    const matching = this.matching(domain, filters);
    const unfiltered = this.#unfilteredOf(domain, span);
    const estimate = (basis: number) => estimateVisitors(basis, unfiltered.visitors);

    if (kind === 'visit' || kind === 'entry_exit') {
      const byValue = new Map<string, RefVisit[]>();
      for (const visit of matching) {
        const value =
          by === 'entry_page'
            ? visit.entry
            : by === 'exit_page'
              ? visit.exit
              : visit.dims[by as VisitDimension];
        const list = byValue.get(value) ?? [];
        list.push(visit);
        byValue.set(value, list);
      }
      for (const [value, visits] of byValue) {
        const t = this.#tally(visits, groups, span);
        // Rows exist for what they show: visits (entry/exit), or visits or pageviews (visit dimensions).
        if (t.visits === 0 && (kind === 'entry_exit' || t.pageviews === 0)) continue;
        const visitors = estimate(t.visits);
        const visit = {
          visits: t.visits,
          bounce_rate: ratio(t.bounces, t.visits, 4),
          visit_duration: ratio(t.durationMs / 1000, t.visits, 1),
        };
        out.push({
          row:
            kind === 'visit'
              ? { value, visitors, ...visit, pageviews: t.pageviews }
              : { value, visitors, ...visit },
          pageviews: t.pageviews,
          // Visit rows, like the unfiltered ones, count no custom events.
          events: 0,
          exact: false,
          basis: t.visits,
          truth: FilteredReference.#distinct(t.started),
          visitors,
        });
      }
      return sortRows(out);
    }

    // page or event: the hits of the matching visits, grouped by page or name.
    const inside = inSpan(span);
    const rows = new Map<string, { count: number; engagedMs: number; visits: Set<RefVisit> }>();
    const rowOf = (value: string) => {
      let r = rows.get(value);
      if (!r) {
        r = { count: 0, engagedMs: 0, visits: new Set() };
        rows.set(value, r);
      }
      return r;
    };
    for (const visit of matching) {
      for (const hit of visit.hits) {
        if (!inside(hit.bucket, hit.day) || !FilteredReference.#counts(hit, groups)) continue;
        if (kind === 'page' && hit.kind === 'pageview') {
          const r = rowOf(hit.page);
          r.count++;
          r.visits.add(visit);
        } else if (kind === 'page' && hit.kind === 'engagement') {
          rowOf(hit.page).engagedMs += hit.engagedMs;
        } else if (kind === 'event' && hit.kind === 'custom') {
          const r = rowOf(hit.name);
          r.count++;
          r.visits.add(visit);
        }
      }
    }
    for (const [value, r] of rows) {
      if (r.count === 0 && r.engagedMs === 0) continue;
      const visitors = estimate(r.visits.size);
      out.push({
        row:
          kind === 'page'
            ? {
                value,
                visitors,
                pageviews: r.count,
                time_on_page: ratio(r.engagedMs / 1000, r.count, 1),
              }
            : { value, visitors, events: r.count },
        pageviews: kind === 'page' ? r.count : 0,
        events: kind === 'event' ? r.count : 0,
        exact: false,
        basis: r.visits.size,
        truth: FilteredReference.#distinct(r.visits),
        visitors,
      });
    }
    return sortRows(out);
  }

  /** `GET /api/stats/breakdown?by=X` with filters: every row, in the API's order. */
  breakdown(domain: string, by: BreakdownDimension, filters: readonly Filter[], span: Span): BreakdownRow[] {
    return this.breakdownDetail(domain, by, filters, span).map((r) => r.row);
  }
}

/** The API's order: visitors descending, then pageviews + events descending, then value ascending. */
function sortRows(rows: FilteredRow[]): FilteredRow[] {
  return rows.sort((a, b) => {
    const [va, vb] = [String(a.row.value), String(b.row.value)];
    return (
      b.visitors - a.visitors ||
      b.pageviews + b.events - (a.pageviews + a.events) ||
      (va < vb ? -1 : va > vb ? 1 : 0)
    );
  });
}
