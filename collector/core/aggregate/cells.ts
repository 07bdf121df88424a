/**
 * @module Rollup deltas: what one batch of events adds to the hourly and daily rollups.
 *
 * Every counter goes to two grains at once: the hour bucket (exact single-hour answers)
 * and the local day (fast whole-day ranges). `visitors` is the exception: a visitor is
 * distinct within its grain, so hour and day get their own increments.
 */
import { type Counter, type Counters, DIMENSION_CODES, type Dimension } from '../dimensions.ts';

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

export const emptyCounters = (): Counters => ({
  visitors: 0,
  visits: 0,
  pageviews: 0,
  events: 0,
  bounces: 0,
  duration_ms: 0,
  engaged_ms: 0,
});

export class Deltas {
  readonly #cells = new Map<string, Cell>();
  readonly #drops = new Map<string, DropCell>();

  /** Adds `n` to `counter` in both grains. `visitors` must go through `visitor()`. */
  add(
    siteId: number,
    dim: Dimension,
    value: string,
    bucket: number,
    day: number,
    counter: Counter,
    n: number,
  ) {
    if (n === 0) return;
    this.#cell('hour', siteId, dim, bucket, value).counters[counter] += n;
    this.#cell('day', siteId, dim, day, value).counters[counter] += n;
  }

  visitor(grain: Grain, siteId: number, dim: Dimension, time: number, value: string, n: 1 | -1) {
    this.#cell(grain, siteId, dim, time, value).counters.visitors += n;
  }

  drop(siteId: number, bucket: number, reason: string) {
    const key = `${siteId}|${bucket}|${reason}`;
    const cell = this.#drops.get(key);
    if (cell) cell.events++;
    else this.#drops.set(key, { siteId, bucket, reason, events: 1 });
  }

  cells(): IterableIterator<Cell> {
    return this.#cells.values();
  }

  drops(): IterableIterator<DropCell> {
    return this.#drops.values();
  }

  get size(): number {
    return this.#cells.size + this.#drops.size;
  }

  #cell(grain: Grain, siteId: number, dim: Dimension, time: number, value: string): Cell {
    const code = DIMENSION_CODES[dim];
    const key = `${grain === 'hour' ? 'h' : 'd'}|${siteId}|${code}|${time}|${value}`;
    let cell = this.#cells.get(key);
    if (!cell) {
      cell = { grain, siteId, dim: code, time, value, counters: emptyCounters() };
      this.#cells.set(key, cell);
    }
    return cell;
  }
}
