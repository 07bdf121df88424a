/**
 * @module The stats queries: aggregate, timeseries and breakdown over the rollups.
 *
 * Exact where the contract promises it: a whole-day range reads the day grain, a single
 * hour reads its bucket. Any other instant range estimates visitors: for each day it
 * touches only partly, the sum of its hourly visitors, capped at the day's visitors
 * (a visitor seen in two hours counts twice there). The estimate never undercounts
 * and never exceeds the whole days' count; `test/node/visitor-estimate.test.ts` checks both.
 */

import { emptyCounters } from '../aggregate/cells.ts';
import { COUNTERS, type Counter, type Counters, DIMENSION_CODES, type Dimension } from '../dimensions.ts';
import type { RollupQuery, Site, Store } from '../store.ts';
import { splitByMonths } from '../time/month.ts';
import { dayStart, formatBucket, formatDay, localTime } from '../time/zone.ts';
import type { StatsRange } from './range.ts';

export interface Filter {
  dim: Dimension;
  value: string;
}

export type Interval = 'hour' | 'day' | 'month';

const ADDITIVE: Counter[] = ['visits', 'pageviews', 'events', 'bounces', 'duration_ms', 'engaged_ms'];

/** Adds every counter of `row` to `target`, visitors too (summed: callers know when that is right). */
export function addInto(target: Counters, row: Counters) {
  for (const counter of ADDITIVE) target[counter] += row[counter];
  target.visitors += row.visitors;
}

/** Counters for `dim` (optionally one value of it) over the range, one entry per value (or '' for all). */
export async function countersByValue(
  store: Store,
  site: Site,
  range: StatsRange,
  dim: Dimension,
  value: string | undefined,
  perValue: boolean,
): Promise<Map<string, Counters>> {
  const base = { siteId: site.id, dim: DIMENSION_CODES[dim], ...(value === undefined ? {} : { value }) };
  const out = new Map<string, Counters>();
  if (range.wholeDays) {
    // Whole months that the maintenance job has folded are read from the month grain (a
    // year's breakdown: 12 rows per value, not 365); the days around them from the day grain.
    // Every counter adds up across the two, visitors included (distinct (day, hash) pairs).
    const folded = (await store.foldedMonths?.(site.id)) ?? new Map<number, number>();
    const dataFrom = folded.size > 0 ? await store.firstDay?.(site.id, base.dim) : undefined;
    const { months, days, minus } = splitByMonths(range.fromDay, range.toDay, folded, dataFrom);
    const groupBy = perValue ? 'value' : 'all';
    const parts: RollupQuery[] = days.map(([from, to]) => ({ ...base, grain: 'day', from, to, groupBy }));
    if (months.length > 0) {
      parts.push({
        ...base,
        grain: 'month',
        from: months[0] as number,
        to: months[months.length - 1] as number,
        groupBy,
      });
    }
    for (const part of parts) {
      for (const row of await store.rollup(part)) {
        const counters = out.get(row.value);
        if (counters) addInto(counters, row);
        else out.set(row.value, row);
      }
    }
    // The days of a month row that lie outside the range.
    for (const [from, to] of minus) {
      for (const row of await store.rollup({ ...base, grain: 'day', from, to, groupBy })) {
        const counters = out.get(row.value);
        if (counters) for (const counter of COUNTERS) counters[counter] -= row[counter];
      }
    }
    return dropEmpty(out);
  }
  for (const [valueKey, days] of await estimatedDays(store, site, range, base, perValue)) {
    const counters = emptyCounters();
    for (const day of days.values()) addInto(counters, day);
    out.set(valueKey, counters);
  }
  return dropEmpty(out);
}

/**
 * An instant range from the hour grain, per value and local day, visitors estimated: a day
 * the range covers whole takes the day's count; a day it covers in part, the sum of its
 * hours' visitors, capped at the day's.
 */
async function estimatedDays(
  store: Store,
  site: Site,
  range: StatsRange,
  base: { siteId: number; dim: number; value?: string },
  perValue: boolean,
): Promise<Map<string, Map<number, Counters>>> {
  const groupBy = perValue ? 'value_time' : 'time';
  const hourRows = await store.rollup({
    ...base,
    grain: 'hour',
    from: range.fromBucket,
    to: range.toBucket,
    groupBy,
  });
  const dayRows = await store.rollup({
    ...base,
    grain: 'day',
    from: range.fromDay,
    to: range.toDay,
    groupBy,
  });
  const out = new Map<string, Map<number, Counters>>();
  for (const row of hourRows) {
    const day = localTime(site.timezone, row.time * 1000).day;
    let days = out.get(row.value);
    if (!days) {
      days = new Map();
      out.set(row.value, days);
    }
    const counters = days.get(day) ?? emptyCounters();
    days.set(day, counters);
    addInto(counters, row);
  }
  const dayVisitors = new Map(dayRows.map((row) => [`${row.value}|${row.time}`, row.visitors]));
  for (const [value, days] of out) {
    for (const [day, counters] of days) {
      const covered =
        dayStart(site.timezone, day) >= range.fromBucket &&
        dayStart(site.timezone, day + 1) - 1 <= range.toBucket;
      const whole = dayVisitors.get(`${value}|${day}`) ?? counters.visitors;
      counters.visitors = covered ? whole : Math.min(whole, counters.visitors);
    }
  }
  return out;
}

function dropEmpty(map: Map<string, Counters>): Map<string, Counters> {
  for (const [key, c] of map) {
    if (c.visitors === 0 && c.visits === 0 && c.pageviews === 0 && c.events === 0 && c.engaged_ms === 0)
      map.delete(key);
  }
  return map;
}

export async function totals(store: Store, site: Site, range: StatsRange, dim: Dimension, value?: string) {
  const byValue = await countersByValue(store, site, range, dim, value, false);
  return byValue.get('') ?? emptyCounters();
}

/** One entry per period of the interval, in order, including empty ones. */
export async function timeseries(
  store: Store,
  site: Site,
  range: StatsRange,
  interval: Interval,
  dim: Dimension,
  value: string | undefined,
): Promise<{ time: number; counters: Counters; label: string }[]> {
  const base = { siteId: site.id, dim: DIMENSION_CODES[dim], ...(value === undefined ? {} : { value }) };
  if (interval === 'hour') {
    const rows = await store.rollup({
      ...base,
      grain: 'hour',
      from: range.fromBucket,
      to: range.toBucket,
      groupBy: 'time',
    });
    const byTime = new Map(rows.map((row) => [row.time, row]));
    const out = [];
    for (let day = range.fromDay; day <= range.toDay; day++) {
      for (
        let bucket = dayStart(site.timezone, day);
        bucket < dayStart(site.timezone, day + 1);
        bucket += 3600
      ) {
        if (bucket < range.fromBucket || bucket > range.toBucket) continue;
        out.push({
          time: bucket,
          counters: byTime.get(bucket) ?? emptyCounters(),
          label: formatBucket(bucket),
        });
      }
    }
    return out;
  }
  const byDay = range.wholeDays
    ? new Map<number, Counters>(
        (
          await store.rollup({ ...base, grain: 'day', from: range.fromDay, to: range.toDay, groupBy: 'time' })
        ).map((row) => [row.time, row]),
      )
    : ((await estimatedDays(store, site, range, base, false)).get('') ?? new Map<number, Counters>());
  const out: { time: number; counters: Counters; label: string }[] = [];
  for (let day = range.fromDay; day <= range.toDay; day++) {
    const counters = byDay.get(day) ?? emptyCounters();
    const label = dayLabel(day, interval);
    const last = out[out.length - 1];
    if (last && last.label === label) addInto(last.counters, counters);
    else out.push({ time: day, counters: { ...counters }, label });
  }
  return out;
}

function dayLabel(day: number, interval: Interval): string {
  const date = formatDay(day);
  return interval === 'month' ? date.slice(0, 7) : date;
}
