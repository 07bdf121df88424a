/**
 * @module CSV export (RFC 4180): one row per (period, dimension, value).
 *
 *     period,site,dimension,value,visitors,visits,pageviews,events,bounces,visit_duration_s
 *
 * Every column but `visitors` is additive. A metric that does not apply to a dimension
 * is left empty. Cells that a spreadsheet would run as a formula get a leading `'`
 * (https://owasp.org/www-community/attacks/CSV_Injection).
 */
import { COUNTERS, type Counters, DIMENSION_CODES, type Dimension, dimensionKind } from '../dimensions.ts';
import type { Site, Store } from '../store.ts';
import { formatBucket, formatDay } from '../time/zone.ts';
import { type Filters, filteredExportRows } from './filtered.ts';
import type { StatsRange } from './range.ts';

export const CSV_HEADER = [
  'period',
  'site',
  'dimension',
  'value',
  'visitors',
  'visits',
  'pageviews',
  'events',
  'bounces',
  'visit_duration_s',
] as const;

const EXPORTED: Dimension[] = [
  'total',
  ...(Object.keys(DIMENSION_CODES) as Dimension[]).filter((d) => d !== 'total'),
];

export async function exportCsv(
  store: Store,
  site: Site,
  range: StatsRange,
  interval: 'hour' | 'day',
  filters: Filters,
): Promise<string> {
  const lines = [CSV_HEADER.join(',')];
  // A filtered export holds the same rows, of the filtered traffic only.
  const rows: { time: number; dim: Dimension; value: string; counters: Counters }[] =
    filters.size > 0 ? await filteredExportRows(store, site, range, interval, filters, EXPORTED) : [];
  for (const dim of filters.size > 0 ? [] : EXPORTED) {
    const found = await store.rollup({
      siteId: site.id,
      grain: interval,
      dim: DIMENSION_CODES[dim],
      from: interval === 'hour' ? range.fromBucket : range.fromDay,
      to: interval === 'hour' ? range.toBucket : range.toDay,
      groupBy: 'value_time',
    });
    for (const row of found) {
      // A visit whose exit moved leaves an all-zero row behind: it says nothing.
      if (COUNTERS.some((counter) => row[counter] !== 0))
        rows.push({ time: row.time, dim, value: row.value, counters: row });
    }
  }
  rows.sort(
    (a, b) =>
      a.time - b.time ||
      DIMENSION_CODES[a.dim] - DIMENSION_CODES[b.dim] ||
      b.counters.visitors - a.counters.visitors ||
      (a.value < b.value ? -1 : 1),
  );
  for (const row of rows) {
    const period = interval === 'hour' ? formatBucket(row.time) : formatDay(row.time);
    lines.push(
      [period, site.domain, row.dim, row.value, ...metricCells(row.dim, row.counters)].map(cell).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

function metricCells(dim: Dimension, c: Counters): (number | '')[] {
  const seconds = c.duration_ms / 1000;
  switch (dimensionKind(dim)) {
    case 'visit':
      return [c.visitors, c.visits, c.pageviews, '', c.bounces, seconds];
    case 'entry_exit':
      return [c.visitors, c.visits, '', '', c.bounces, seconds];
    case 'page':
      return [c.visitors, '', c.pageviews, '', '', ''];
    case 'event':
      return [c.visitors, '', '', c.events, '', ''];
  }
}

/** Quotes per RFC 4180 and neutralises formula triggers. */
export function cell(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
