/**
 * @module The visit grain's SQL, for both SQLite stores: better-sqlite3 on Node and D1 on
 * Workers run the same text (`collector/migrations/0004_visit_grain.sql` has the tables).
 *
 * Writes: a batch's touched visits are rewritten from the live visit (upserts of absolute
 * values); its pages and custom events per hour are added (upserts of deltas). Reads: one
 * statement per measure (visits, pages, custom events) of a filtered view, grouped by a
 * dimension and a period. Filter values travel as one JSON parameter per dimension, so a
 * question with many values stays far below D1's 100 bound parameters.
 */
import type { Deltas } from '../core/aggregate/cells.ts';
import { isBounce } from '../core/aggregate/visitor-state.ts';
import { VISIT_DIMENSIONS } from '../core/dimensions.ts';
import type { VisitGrainQuery } from '../core/store.ts';

const VISIT_COLUMNS = [
  'site_id',
  'time',
  'id',
  'day',
  ...VISIT_DIMENSIONS,
  'entry_page',
  'exit_page',
  'bounce',
  'duration_ms',
] as const;
const PAGE_COLUMNS = [
  'site_id',
  'visit_time',
  'visit_id',
  'page',
  'time',
  'pageviews',
  'engaged_ms',
] as const;
const EVENT_COLUMNS = ['site_id', 'visit_time', 'visit_id', 'event', 'time', 'events'] as const;

/** Columns of `visit` that a filter or a breakdown may name. */
const VISIT_COLUMN_OF: ReadonlySet<string> = new Set([...VISIT_DIMENSIONS, 'entry_page', 'exit_page']);

type Cell = string | number;

/** A batch's visit-grain rows, as arrays in the tables' column order. */
export function visitGrainRows(deltas: Deltas): { visits: Cell[][]; pages: Cell[][]; events: Cell[][] } {
  const visits: Cell[][] = [];
  for (const { siteId, day, visit } of deltas.visits()) {
    visits.push([
      siteId,
      visit.start,
      visit.id,
      day,
      ...VISIT_DIMENSIONS.map((dim) => visit.dims[dim]),
      visit.entry,
      visit.exit,
      isBounce(visit) ? 1 : 0,
      visit.durationMs,
    ]);
  }
  const pages: Cell[][] = [];
  for (const c of deltas.visitPages()) {
    pages.push([c.siteId, c.visit.start, c.visit.id, c.name, c.time, c.count, c.engaged_ms]);
  }
  const events: Cell[][] = [];
  for (const c of deltas.visitEvents()) {
    events.push([c.siteId, c.visit.start, c.visit.id, c.name, c.time, c.count]);
  }
  return { visits, pages, events };
}

/**
 * Upserts in two forms: `values` (one row per run, for better-sqlite3's prepared statements)
 * and `json` (every row in one JSON parameter, unpacked by `json_each`, for D1's batches).
 */
function upsert(
  table: string,
  columns: readonly string[],
  onConflict: string,
  form: 'values' | 'json',
): string {
  const source =
    form === 'values'
      ? `VALUES (${columns.map(() => '?').join(', ')})`
      : // `WHERE true`: https://www.sqlite.org/lang_upsert.html, "Parsing Ambiguity".
        `SELECT ${columns.map((_, i) => `json_extract(value, '$[${i}]')`).join(', ')} FROM json_each(?) WHERE true`;
  return `INSERT INTO ${table} (${columns.join(', ')}) ${source} ON CONFLICT DO UPDATE SET ${onConflict}`;
}

export function visitGrainUpserts(form: 'values' | 'json') {
  return {
    visit: upsert(
      'visit',
      VISIT_COLUMNS,
      'exit_page = excluded.exit_page, bounce = excluded.bounce, duration_ms = excluded.duration_ms',
      form,
    ),
    page: upsert(
      'visit_page',
      PAGE_COLUMNS,
      'pageviews = pageviews + excluded.pageviews, engaged_ms = engaged_ms + excluded.engaged_ms',
      form,
    ),
    event: upsert('visit_event', EVENT_COLUMNS, 'events = events + excluded.events', form),
  };
}

/** Retention and site removal: every visit-grain table, by the time its rows are kept by. */
export const VISIT_GRAIN_TABLES = [
  ['visit', 'time'],
  ['visit_page', 'visit_time'],
  ['visit_event', 'visit_time'],
] as const;

/** A visit spans at most one local day (the salt rotates at midnight): 25 hours with DST. */
const LONGEST_VISIT_S = 25 * 3600;

/** One measure of a filtered view as SQL and its parameters. Dimension names are checked, not bound. */
export function visitGrainSql(query: VisitGrainQuery): { sql: string; params: (string | number)[] } {
  const match: string[] = [];
  const matchParams: string[] = [];
  for (const [dim, values] of query.filters) {
    const list = 'IN (SELECT value FROM json_each(?))';
    if (dim === 'page' || dim === 'event') {
      const [table, column, count] =
        dim === 'page' ? ['visit_page', 'page', 'pageviews'] : ['visit_event', 'event', 'events'];
      match.push(
        `EXISTS (SELECT 1 FROM ${table} m WHERE m.site_id = v.site_id AND m.visit_time = v.time
           AND m.visit_id = v.id AND m.${count} > 0 AND m.${column} ${list})`,
      );
    } else {
      match.push(`v.${visitColumn(dim)} ${list}`);
    }
    matchParams.push(JSON.stringify(values));
  }
  const where = match.map((condition) => `AND ${condition}`).join(' ');

  if (query.measure === 'visits') {
    const group = query.groupBy === undefined ? "''" : `v.${visitColumn(query.groupBy)}`;
    const time = query.period === 'hour' ? 'v.time' : query.period === 'day' ? 'v.day' : '0';
    return {
      sql: `SELECT ${group} AS value, ${time} AS time, count(*) AS visits, sum(v.bounce) AS bounces,
          sum(v.duration_ms) AS duration_ms, 0 AS count, 0 AS engaged_ms, count(*) AS basis
        FROM visit v WHERE v.site_id = ? AND v.time BETWEEN ? AND ? ${where} GROUP BY 1, 2`,
      params: [query.siteId, query.from, query.to, ...matchParams],
    };
  }

  const [table, column, count, engaged] =
    query.measure === 'pages'
      ? ['visit_page', 'page', 'pageviews', 'sum(x.engaged_ms)']
      : ['visit_event', 'event', 'events', '0'];
  const own = query.measure === 'pages' ? 'page' : 'event';
  const group =
    query.groupBy === undefined
      ? "''"
      : query.groupBy === own
        ? `x.${column}`
        : `v.${visitColumn(query.groupBy)}`;
  const time = query.period === 'hour' ? 'x.time' : query.period === 'day' ? 'v.day' : '0';
  const ownValues = query.filters.get(own);
  return {
    sql: `SELECT ${group} AS value, ${time} AS time, 0 AS visits, 0 AS bounces, 0 AS duration_ms,
        sum(x.${count}) AS count, ${engaged} AS engaged_ms,
        count(DISTINCT CASE WHEN x.${count} > 0 THEN x.visit_id END) AS basis
      FROM ${table} x JOIN visit v ON v.site_id = x.site_id AND v.time = x.visit_time AND v.id = x.visit_id
      WHERE x.site_id = ? AND x.visit_time BETWEEN ? AND ? AND x.time BETWEEN ? AND ?
        ${ownValues ? `AND x.${column} IN (SELECT value FROM json_each(?))` : ''} ${where}
      GROUP BY 1, 2`,
    params: [
      query.siteId,
      query.from - LONGEST_VISIT_S,
      query.to,
      query.from,
      query.to,
      ...(ownValues ? [JSON.stringify(ownValues)] : []),
      ...matchParams,
    ],
  };
}

function visitColumn(dim: string): string {
  if (!VISIT_COLUMN_OF.has(dim)) throw new Error(`${dim} is not a column of the visit grain`);
  return dim;
}
