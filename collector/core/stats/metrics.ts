/**
 * @module Stored counters → the API's metrics, per kind of dimension.
 *
 * Rates are fractions 0–1 rounded to 4 places; durations are seconds rounded to
 * 0.1. A metric that does not apply to a dimension is absent (CONTRACT.md).
 */
import type { Counters, DimensionKind } from '../dimensions.ts';

export interface AggregateMetrics {
  visitors: number;
  visits: number;
  pageviews: number;
  bounce_rate: number;
  visit_duration: number;
  views_per_visit: number;
  events?: number;
}

const ratio = (a: number, b: number, places: number) => (b === 0 ? 0 : round(a / b, places));
const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

export function bounceRate(c: Counters): number {
  return ratio(c.bounces, c.visits, 4);
}
export function visitDuration(c: Counters): number {
  return ratio(c.duration_ms / 1000, c.visits, 1);
}

/** The aggregate's fixed shape, with `events` beside it when an event filter narrows the view. */
export function aggregateMetrics(c: Counters, withEvents = false): AggregateMetrics {
  return {
    visitors: c.visitors,
    visits: c.visits,
    pageviews: c.pageviews,
    bounce_rate: bounceRate(c),
    visit_duration: visitDuration(c),
    views_per_visit: ratio(c.pageviews, c.visits, 2),
    ...(withEvents ? { events: c.events } : {}),
  };
}

/** One point of `GET /api/stats/timeseries`: its period's label, then the aggregate's fields. */
export type TimeseriesPoint = { time: string } & AggregateMetrics;

/** Rows of `GET /api/stats/breakdown`, by the kind of its dimension (`dimensionKind`). */
export interface VisitRow {
  value: string;
  visitors: number;
  visits: number;
  pageviews: number;
  bounce_rate: number;
  visit_duration: number;
}
export type EntryExitRow = Omit<VisitRow, 'pageviews'>;
export interface PageRow {
  value: string;
  visitors: number;
  pageviews: number;
  time_on_page: number;
}
export interface EventRow {
  value: string;
  visitors: number;
  events: number;
}
export type BreakdownRow = VisitRow | EntryExitRow | PageRow | EventRow;

/** `GET /api/stats/dropped`: events dropped on purpose, by reason. */
export interface DroppedRow {
  reason: string;
  events: number;
}

/** `GET /api/stats/realtime`. */
export interface Realtime {
  visitors: number;
}

/** One breakdown row: `value`, `visitors`, then the metrics of that dimension. */
export function breakdownMetrics(value: string, c: Counters, kind: DimensionKind): BreakdownRow {
  switch (kind) {
    case 'visit':
      return {
        value,
        visitors: c.visitors,
        visits: c.visits,
        pageviews: c.pageviews,
        bounce_rate: bounceRate(c),
        visit_duration: visitDuration(c),
      };
    case 'entry_exit':
      return {
        value,
        visitors: c.visitors,
        visits: c.visits,
        bounce_rate: bounceRate(c),
        visit_duration: visitDuration(c),
      };
    case 'page':
      return {
        value,
        visitors: c.visitors,
        pageviews: c.pageviews,
        time_on_page: ratio(c.engaged_ms / 1000, c.pageviews, 1),
      };
    case 'event':
      return { value, visitors: c.visitors, events: c.events };
  }
}
