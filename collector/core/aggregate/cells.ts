/**
 * @module Rollup deltas: what one batch of events adds to the hourly and daily rollups.
 *
 * Every counter goes to two grains at once: the hour bucket (exact single-hour answers)
 * and the local day (fast whole-day ranges). `visitors` is the exception: a visitor is
 * distinct within its grain, so hour and day get their own increments.
 *
 * This is the hot loop of aggregation (a pageview touches ~15 rows several times), so
 * a row is looked up once per (dimension, value, bucket) and holds both grains, and the
 * rows of a visit are looked up once per batch.
 */
import {
  type Counter,
  type Counters,
  DIMENSION_CODES,
  type Dimension,
  VISIT_DIMENSIONS,
} from '../dimensions.ts';
import { seenKey, type Visit } from './visitor-state.ts';

export type Grain = 'hour' | 'day';

export interface Cell {
  grain: Grain;
  siteId: number;
  dim: number;
  /** Bucket start (UTC seconds) for `hour`, days since epoch for `day`. */
  time: number;
  value: string;
  counters: Counters;
}

export interface DropCell {
  siteId: number;
  bucket: number;
  reason: string;
  events: number;
}

/** A visit this batch touched: its row in the visit grain is rewritten from the live visit. */
export interface VisitCell {
  siteId: number;
  day: number;
  visit: Visit;
}

/** What one visit adds to one page (`name`) or custom event in one hour bucket. */
export interface VisitItemCell {
  siteId: number;
  visit: Visit;
  name: string;
  time: number;
  /** Pageviews, or custom events. */
  count: number;
  engaged_ms: number;
}

/** One (site, dimension, value, hour bucket) of this batch, with its hour and day deltas. */
export interface Row {
  siteId: number;
  dim: number;
  value: string;
  bucket: number;
  day: number;
  /** `seenKey(dim, value)`: built once per row, not once per event that counts a visitor in it. */
  key: string;
  hour: Counters;
  daily: Counters;
}

export const emptyCounters = (): Counters => ({
  visitors: 0,
  visits: 0,
  pageviews: 0,
  events: 0,
  bounces: 0,
  duration_ms: 0,
  engaged_ms: 0,
});

/** Adds to both grains of a row. `visitors` goes through `countVisitor` instead. */
export function bump(row: Row, counter: Counter, n: number): void {
  row.hour[counter] += n;
  row.daily[counter] += n;
}

export class Deltas {
  /**
   * Rows by (site, dimension) → value → the few buckets a batch spans. Nested maps keyed by
   * the value string itself, whose hash the engine keeps: no key is built per lookup.
   */
  readonly #rows = new Map<number, Map<string, Row[]>>();
  readonly #drops = new Map<string, DropCell>();
  /** The rows of a visit at its start bucket: [total, ...VISIT_DIMENSIONS, entry_page, exit_page]. */
  readonly #visitRows = new WeakMap<Visit, Row[]>();
  /** The visit grain: touched visits, and their pages and custom events per hour. */
  readonly #visits = new Map<Visit, VisitCell>();
  readonly #visitPages = new Map<string, VisitItemCell>();
  readonly #visitEvents = new Map<string, VisitItemCell>();

  row(siteId: number, dim: Dimension, value: string, bucket: number, day: number): Row {
    const code = DIMENSION_CODES[dim];
    const key = siteId * 64 + code;
    let byValue = this.#rows.get(key);
    if (!byValue) {
      byValue = new Map();
      this.#rows.set(key, byValue);
    }
    let rows = byValue.get(value);
    if (!rows) {
      rows = [];
      byValue.set(value, rows);
    }
    for (const row of rows) if (row.bucket === bucket) return row;
    const row: Row = {
      siteId,
      dim: code,
      value,
      bucket,
      day,
      key: seenKey(code, value),
      hour: emptyCounters(),
      daily: emptyCounters(),
    };
    rows.push(row);
    return row;
  }

  visitRows(siteId: number, visit: Visit, day: number): Row[] {
    let rows = this.#visitRows.get(visit);
    if (!rows) {
      rows = [this.row(siteId, 'total', '', visit.start, day)];
      for (const dim of VISIT_DIMENSIONS) rows.push(this.row(siteId, dim, visit.dims[dim], visit.start, day));
      rows.push(this.row(siteId, 'entry_page', visit.entry, visit.start, day));
      rows.push(this.row(siteId, 'exit_page', visit.exit, visit.start, day));
      this.#visitRows.set(visit, rows);
    }
    return rows;
  }

  /** The visit's exit page changed: its cached rows are stale. */
  forgetVisitRows(visit: Visit): void {
    this.#visitRows.delete(visit);
  }

  touchVisit(siteId: number, day: number, visit: Visit): void {
    if (!this.#visits.has(visit)) this.#visits.set(visit, { siteId, day, visit });
  }

  visitPage(siteId: number, visit: Visit, page: string, time: number): VisitItemCell {
    return item(this.#visitPages, siteId, visit, page, time);
  }

  visitEvent(siteId: number, visit: Visit, name: string, time: number): VisitItemCell {
    return item(this.#visitEvents, siteId, visit, name, time);
  }

  visits(): IterableIterator<VisitCell> {
    return this.#visits.values();
  }
  visitPages(): IterableIterator<VisitItemCell> {
    return this.#visitPages.values();
  }
  visitEvents(): IterableIterator<VisitItemCell> {
    return this.#visitEvents.values();
  }

  drop(siteId: number, bucket: number, reason: string) {
    const key = `${siteId}|${bucket}|${reason}`;
    const cell = this.#drops.get(key);
    if (cell) cell.events++;
    else this.#drops.set(key, { siteId, bucket, reason, events: 1 });
  }

  /** The deltas as cells of each grain; rows with nothing to add are skipped. */
  *cells(): Generator<Cell> {
    for (const byValue of this.#rows.values()) {
      for (const rows of byValue.values()) {
        for (const row of rows) {
          if (!isZero(row.hour)) {
            yield {
              grain: 'hour',
              siteId: row.siteId,
              dim: row.dim,
              time: row.bucket,
              value: row.value,
              counters: row.hour,
            };
          }
          if (!isZero(row.daily)) {
            yield {
              grain: 'day',
              siteId: row.siteId,
              dim: row.dim,
              time: row.day,
              value: row.value,
              counters: row.daily,
            };
          }
        }
      }
    }
  }

  drops(): IterableIterator<DropCell> {
    return this.#drops.values();
  }
}

function item(
  cells: Map<string, VisitItemCell>,
  siteId: number,
  visit: Visit,
  name: string,
  time: number,
): VisitItemCell {
  const key = `${visit.start}|${visit.id}|${time}|${name}`;
  let cell = cells.get(key);
  if (!cell) {
    cell = { siteId, visit, name, time, count: 0, engaged_ms: 0 };
    cells.set(key, cell);
  }
  return cell;
}

function isZero(c: Counters): boolean {
  return (
    c.visitors === 0 &&
    c.visits === 0 &&
    c.pageviews === 0 &&
    c.events === 0 &&
    c.bounces === 0 &&
    c.duration_ms === 0 &&
    c.engaged_ms === 0
  );
}
