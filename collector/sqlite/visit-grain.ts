/**
 * @module The visit grain's SQL, for both SQLite stores: better-sqlite3 on Node and D1 on
 * Workers run the same text (`collector/migrations/0004_visit_grain.sql` has the tables).
 *
 * Writes: the texts a batch refers to become labels first (ids, so that a visit row holds 14
 * small integers, not 14 strings); then its touched visits are rewritten from the live visit
 * (upserts of absolute values) and its pages and custom events per hour added (upserts of
 * deltas). Reads: one statement per measure (visits, pages, custom events) of a filtered
 * view, grouped by a dimension and a period. Filter values travel as one JSON parameter per
 * dimension, so a question with many values stays far below D1's 100 bound parameters.
 */
import type { Deltas } from '../core/aggregate/cells.ts';
import { isBounce } from '../core/aggregate/visitor-state.ts';
import { DIMENSION_CODES, VISIT_DIMENSIONS } from '../core/dimensions.ts';
import type { VisitGrainQuery } from '../core/store.ts';
import { monthOfDay } from '../core/time/month.ts';

const VISIT_COLUMNS = [
  'site_id',
  'time',
  'id',
  'day',
  ...VISIT_DIMENSIONS,
  'entry_page',
  'exit_page',
  'pageviews',
  'events',
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

/** The label space of each column a filter or a breakdown may name: pages share one. */
const LABEL_DIM: Readonly<Record<string, number>> = {
  ...Object.fromEntries(VISIT_DIMENSIONS.map((dim) => [dim, DIMENSION_CODES[dim]])),
  entry_page: DIMENSION_CODES.page,
  exit_page: DIMENSION_CODES.page,
  page: DIMENSION_CODES.page,
  event: DIMENSION_CODES.event,
};

type Cell = string | number;
export type LabelId<L = number> = (siteId: number, dim: number, value: string) => L;

/**
 * Per column of each visit-grain table: the label dimension code of a column that holds a
 * label id, or -1. `visitGrainRows` puts `labelId`'s answer there.
 */
const labelColumns = (columns: readonly string[]) =>
  columns.map((column) => (Object.hasOwn(LABEL_DIM, column) ? (LABEL_DIM[column] as number) : -1));

export const GRAIN_LABELS = {
  visit: labelColumns(VISIT_COLUMNS),
  page: labelColumns(PAGE_COLUMNS),
  event: labelColumns(EVENT_COLUMNS),
};

/** The key of a (site, dimension code, text) label in memory. */
export const labelKey = (siteId: number, dim: number, value: string) => `${siteId}\u0001${dim}\u0001${value}`;

/**
 * The month the labels a batch uses are marked used in: that of its latest row (hour buckets,
 * not the clock: retention goes by the rows' times).
 */
export function batchMonth(deltas: Deltas): number {
  let latest = 0;
  for (const { visit } of deltas.visits()) latest = Math.max(latest, visit.start);
  for (const c of deltas.visitPages()) latest = Math.max(latest, c.time);
  for (const c of deltas.visitEvents()) latest = Math.max(latest, c.time);
  return labelMonth(latest);
}

/** The month (label `month` column) of an hour bucket, UTC seconds. */
export function labelMonth(bucket: number): number {
  return monthOfDay(Math.floor(bucket / 86_400));
}

/** The distinct (site, dimension code, text) labels a batch's visit grain refers to. */
export function batchLabels(deltas: Deltas): [number, number, string][] {
  const seen = new Set<string>();
  const out: [number, number, string][] = [];
  const add = (siteId: number, dim: number, value: string) => {
    const key = labelKey(siteId, dim, value);
    if (seen.has(key)) return;
    seen.add(key);
    out.push([siteId, dim, value]);
  };
  for (const { siteId, visit } of deltas.visits()) {
    for (const dim of VISIT_DIMENSIONS) add(siteId, DIMENSION_CODES[dim], visit.dims[dim]);
    add(siteId, DIMENSION_CODES.page, visit.entry);
    add(siteId, DIMENSION_CODES.page, visit.exit);
  }
  for (const c of deltas.visitPages()) add(c.siteId, DIMENSION_CODES.page, c.name);
  for (const c of deltas.visitEvents()) add(c.siteId, DIMENSION_CODES.event, c.name);
  return out;
}

/**
 * A batch's visit-grain rows, as arrays in the tables' column order, each text as `labelId`
 * answers for it: its label id (D1), or the text itself, made an id where the count runs
 * (better-sqlite3, `sqlite-count.ts`; `GRAIN_LABELS` says which columns).
 */
export function visitGrainRows<L = number>(
  deltas: Deltas,
  labelId: LabelId<L>,
): { visits: Iterable<(Cell | L)[]>; pages: Iterable<(Cell | L)[]>; events: Iterable<(Cell | L)[]> } {
  return {
    visits: visitRows(deltas, labelId),
    pages: pageRows(deltas, labelId),
    events: eventRows(deltas, labelId),
  };
}

function* visitRows<L>(deltas: Deltas, labelId: LabelId<L>): Generator<(Cell | L)[]> {
  for (const { siteId, day, visit } of deltas.visits()) {
    yield [
      siteId,
      visit.start,
      visit.id,
      day,
      ...VISIT_DIMENSIONS.map((dim) => labelId(siteId, DIMENSION_CODES[dim], visit.dims[dim])),
      labelId(siteId, DIMENSION_CODES.page, visit.entry),
      labelId(siteId, DIMENSION_CODES.page, visit.exit),
      visit.pageviews,
      visit.customs,
      isBounce(visit) ? 1 : 0,
      visit.durationMs,
    ];
  }
}

function* pageRows<L>(deltas: Deltas, labelId: LabelId<L>): Generator<(Cell | L)[]> {
  for (const c of deltas.visitPages()) {
    yield [
      c.siteId,
      c.visit.start,
      c.visit.id,
      labelId(c.siteId, DIMENSION_CODES.page, c.name),
      c.time,
      c.count,
      c.engaged_ms,
    ];
  }
}

function* eventRows<L>(deltas: Deltas, labelId: LabelId<L>): Generator<(Cell | L)[]> {
  for (const c of deltas.visitEvents()) {
    yield [
      c.siteId,
      c.visit.start,
      c.visit.id,
      labelId(c.siteId, DIMENSION_CODES.event, c.name),
      c.time,
      c.count,
    ];
  }
}

const fromJson = (n: number) =>
  `SELECT ${Array.from({ length: n }, (_, i) => `json_extract(value, '$[${i}]')`).join(', ')} FROM json_each(?)`;

/**
 * Labels: one at a time (better-sqlite3, cached in memory), or a batch's as JSON
 * `[[site, dim, text], …]` (D1). Writing one marks it used this month (the last parameter
 * but one of `insertJson` is the month, then the JSON).
 */
export const LABEL_SQL = {
  upsert: `INSERT INTO label (site_id, dim, value, month) VALUES (?, ?, ?, ?)
    ON CONFLICT DO UPDATE SET month = max(month, excluded.month)`,
  find: 'SELECT id FROM label WHERE site_id = ? AND dim = ? AND value = ?',
  upsertJson: `INSERT INTO label (site_id, dim, value, month)
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), ? FROM json_each(?) WHERE true
    ON CONFLICT DO UPDATE SET month = max(month, excluded.month)`,
  findJson: `SELECT id, site_id, dim, value FROM label WHERE (site_id, dim, value) IN (${fromJson(3)})`,
  /** Retention: labels whose last use is in a month before `month`, which retention has emptied. */
  purge: 'DELETE FROM label WHERE site_id = ? AND month < ?',
};

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
        `${fromJson(columns.length)} WHERE true`;
  return `INSERT INTO ${table} (${columns.join(', ')}) ${source} ON CONFLICT DO UPDATE SET ${onConflict}`;
}

export function visitGrainUpserts(form: 'values' | 'json') {
  return {
    visit: upsert(
      'visit',
      VISIT_COLUMNS,
      `exit_page = excluded.exit_page, pageviews = excluded.pageviews, events = excluded.events,
       bounce = excluded.bounce, duration_ms = excluded.duration_ms`,
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

/** Retention and site removal: every visit-grain table, by the time its rows are kept by. Labels stay. */
export const VISIT_GRAIN_TABLES = [
  ['visit', 'time'],
  ['visit_page', 'visit_time'],
  ['visit_event', 'visit_time'],
] as const;

/** A visit spans at most one local day (the salt rotates at midnight): 25 hours with DST. */
const LONGEST_VISIT_S = 25 * 3600;

/**
 * The start hours of the visits a query reads: those in its range, and for pages and custom
 * events also those that started up to a day before (a visit's pages come after its start).
 * Split into parts, a query's rows add up: every visit falls in one part.
 */
export function visitStarts(query: VisitGrainQuery): { from: number; to: number } {
  return { from: query.measure === 'visits' ? query.from : query.from - LONGEST_VISIT_S, to: query.to };
}

/** The site's label ids of `dim` whose text is one of a JSON array's (parameters: site, JSON). */
const labelsIn = (dim: string) =>
  `(SELECT id FROM label WHERE site_id = ? AND dim = ${labelDim(dim)} AND value IN (SELECT value FROM json_each(?)))`;

/**
 * One measure of a filtered view as SQL and its parameters. Dimension names are checked
 * against the columns, never spliced from input; values are bound. `started` narrows the
 * visits read to those that started within it (a part of `visitStarts`).
 *
 * The visits that match drive every statement (`CROSS JOIN` keeps SQLite from starting at
 * the larger page table): a selective filter reads few visits, and their pages by key.
 */
export function visitGrainSql(
  query: VisitGrainQuery,
  started?: { from: number; to: number },
): { sql: string; params: (string | number)[] } {
  const match: string[] = [];
  const matchParams: (string | number)[] = [];
  for (const [dim, values] of query.filters) {
    if (dim === 'page' || dim === 'event') {
      const [table, column, count] =
        dim === 'page' ? ['visit_page', 'page', 'pageviews'] : ['visit_event', 'event', 'events'];
      match.push(
        `EXISTS (SELECT 1 FROM ${table} m WHERE m.site_id = v.site_id AND m.visit_time = v.time
           AND m.visit_id = v.id AND m.${count} > 0 AND m.${column} IN ${labelsIn(dim)})`,
      );
    } else {
      match.push(`v.${visitColumn(dim)} IN ${labelsIn(dim)}`);
    }
    matchParams.push(query.siteId, JSON.stringify(values));
  }
  const where = match.map((condition) => `AND ${condition}`).join(' ');

  if (query.measure === 'visits') {
    const group = query.groupBy === undefined ? undefined : `v.${visitColumn(query.groupBy)}`;
    const time = query.period === 'hour' ? 'v.time' : query.period === 'day' ? 'v.day' : '0';
    return {
      sql: labelled(
        group,
        `SELECT ${group ?? "''"} AS value, ${time} AS time, count(*) AS visits,
          sum(v.bounce) AS bounces, sum(v.duration_ms) AS duration_ms, sum(v.pageviews) AS pageviews,
          sum(v.events) AS events, 0 AS engaged_ms, count(*) AS basis
        FROM visit v
        WHERE v.site_id = ? AND v.time BETWEEN ? AND ? ${where}
        GROUP BY 1, 2`,
      ),
      params: [query.siteId, started?.from ?? query.from, started?.to ?? query.to, ...matchParams],
    };
  }

  const pages = query.measure === 'pages';
  const [table, column, count] = pages
    ? ['visit_page', 'page', 'pageviews']
    : ['visit_event', 'event', 'events'];
  const own = pages ? 'page' : 'event';
  const group =
    query.groupBy === undefined
      ? undefined
      : query.groupBy === own
        ? `x.${column}`
        : `v.${visitColumn(query.groupBy)}`;
  const time = query.period === 'hour' ? 'x.time' : query.period === 'day' ? 'v.day' : '0';
  const ownValues = query.filters.get(own);
  return {
    sql: labelled(
      group,
      `SELECT ${group ?? "''"} AS value, ${time} AS time, 0 AS visits, 0 AS bounces,
        0 AS duration_ms, ${pages ? 'sum(x.pageviews)' : '0'} AS pageviews, ${pages ? '0' : 'sum(x.events)'} AS events,
        ${pages ? 'sum(x.engaged_ms)' : '0'} AS engaged_ms,
        count(DISTINCT CASE WHEN x.${count} > 0 THEN x.visit_id END) AS basis
      FROM visit v CROSS JOIN ${table} x
      WHERE v.site_id = ? AND v.time BETWEEN ? AND ? ${where}
        AND x.site_id = v.site_id AND x.visit_time = v.time AND x.visit_id = v.id AND x.time BETWEEN ? AND ?
        ${ownValues ? `AND x.${column} IN ${labelsIn(own)}` : ''}
      GROUP BY 1, 2`,
    ),
    params: [
      query.siteId,
      started?.from ?? visitStarts(query).from,
      started?.to ?? visitStarts(query).to,
      ...matchParams,
      query.from,
      query.to,
      ...(ownValues ? [query.siteId, JSON.stringify(ownValues)] : []),
    ],
  };
}

/**
 * Rows grouped by a label id, given their label's text: grouping by the integer id first and
 * looking each group's text up after reads a label once per group, not once per row (a year's
 * page breakdown of one source: 25 % faster).
 */
function labelled(group: string | undefined, grouped: string): string {
  if (group === undefined) return grouped;
  return `SELECT l.value AS value, g.time AS time, g.visits AS visits, g.bounces AS bounces,
      g.duration_ms AS duration_ms, g.pageviews AS pageviews, g.events AS events,
      g.engaged_ms AS engaged_ms, g.basis AS basis
    FROM (${grouped}) g JOIN label l ON l.id = g.value`;
}

function labelDim(dim: string): number {
  const code = Object.hasOwn(LABEL_DIM, dim) ? LABEL_DIM[dim] : undefined;
  if (code === undefined) throw new Error(`${dim} has no labels in the visit grain`);
  return code;
}

function visitColumn(dim: string): string {
  if (!Object.hasOwn(LABEL_DIM, dim) || dim === 'page' || dim === 'event') {
    throw new Error(`${dim} is not a column of the visit grain`);
  }
  return dim;
}
