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
import { type Counter, type Counters, DIMENSION_CODES, type Dimension } from '../dimensions.ts';
import type { RollupQuery, Site, Store } from '../store.ts';
import { splitByMonths } from '../time/month.ts';
import { dayStart, localTime } from '../time/zone.ts';
import type { StatsRange } from './range.ts';

export interface Filter {
  dim: Dimension;
  value: string;
}

export type Interval = 'hour' | 'day' | 'month';

const ADDITIVE: Counter[] = ['visits', 'pageviews', 'events', 'bounces', 'duration_ms', 'engaged_ms'];

function addInto(target: Counters, row: Counters) {
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
    const { months, days } = splitByMonths(range.fromDay, range.toDay, folded);
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
    return dropEmpty(out);
  }
  const hourRows = await store.rollup({
    ...base,
    grain: 'hour',
    from: range.fromBucket,
    to: range.toBucket,
    groupBy: perValue ? 'value_time' : 'time',
  });
  const dayRows = await store.rollup({
    ...base,
    grain: 'day',
    from: range.fromDay,
    to: range.toDay,
    groupBy: perValue ? 'value_time' : 'time',
  });
  // Per (value, day): hourly visitors summed; whole days covered by the range take the day's count.
  const dayVisitors = new Map<string, number>();
  for (const row of dayRows) dayVisitors.set(`${row.value}|${row.time}`, row.visitors);
  const perDay = new Map<string, number>();
  for (const row of hourRows) {
    const counters = out.get(row.value) ?? emptyCounters();
    out.set(row.value, counters);
    for (const counter of ADDITIVE) counters[counter] += row[counter];
    const key = `${row.value}|${localTime(site.timezone, row.time * 1000).day}`;
    perDay.set(key, (perDay.get(key) ?? 0) + row.visitors);
  }
  for (const [key, hourly] of perDay) {
    const [valueKey, dayText] = splitLast(key);
    const day = Number(dayText);
    const covered =
      dayStart(site.timezone, day) >= range.fromBucket &&
      dayStart(site.timezone, day + 1) - 1 <= range.toBucket;
    const whole = dayVisitors.get(key) ?? hourly;
    const counters = out.get(valueKey);
    if (counters) counters.visitors += covered ? whole : Math.min(whole, hourly);
  }
  return dropEmpty(out);
}

function splitLast(key: string): [string, string] {
  const at = key.lastIndexOf('|');
  return [key.slice(0, at), key.slice(at + 1)];
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
          label: isoInstant(bucket),
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
    : await partialDays(store, site, range, base);
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

/** Days of an instant range, from the hour grain, with visitors estimated as in `countersByValue`. */
async function partialDays(
  store: Store,
  site: Site,
  range: StatsRange,
  base: { siteId: number; dim: number; value?: string },
): Promise<Map<number, Counters>> {
  const days = new Map<number, Counters>();
  const whole = new Map<number, number>();
  const dayRows = await store.rollup({
    ...base,
    grain: 'day',
    from: range.fromDay,
    to: range.toDay,
    groupBy: 'time',
  });
  for (const row of dayRows) whole.set(row.time, row.visitors);
  const hourRows = await store.rollup({
    ...base,
    grain: 'hour',
    from: range.fromBucket,
    to: range.toBucket,
    groupBy: 'time',
  });
  for (const row of hourRows) {
    const day = localTime(site.timezone, row.time * 1000).day;
    const counters = days.get(day) ?? emptyCounters();
    days.set(day, counters);
    addInto(counters, row);
  }
  for (const [day, counters] of days) {
    const covered =
      dayStart(site.timezone, day) >= range.fromBucket &&
      dayStart(site.timezone, day + 1) - 1 <= range.toBucket;
    const dayCount = whole.get(day) ?? counters.visitors;
    counters.visitors = covered ? dayCount : Math.min(dayCount, counters.visitors);
  }
  return days;
}

function dayLabel(day: number, interval: Interval): string {
  const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
  return interval === 'month' ? date.slice(0, 7) : date;
}

export function isoInstant(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
