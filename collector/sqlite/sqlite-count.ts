/**
 * @module A count's writes as data: built on the event loop, written by the side thread.
 *
 * A count writes thousands of rows (rollup deltas, drop counts, the visit grain, visitor
 * states, the journal mark) in one transaction. Running those statements is most of a
 * count's cost, so the store hands them to its side thread (`sqlite-thread.ts`), whose
 * connection writes them while the event loop goes on answering requests. The event loop
 * builds the rows in slices of about a millisecond and sends each slice's at once (a
 * structured clone of a few long flat arrays, one per statement, is far cheaper than one
 * per row); the thread writes each as it comes, within one transaction.
 *
 * Texts of the visit grain travel as texts and become label ids where the statements run,
 * with a cache of that connection's own: a label a rolled-back count created is gone, so
 * the cache is cleared then (and when retention or a removed site deletes labels).
 *
 * `runCountStep` is the one piece of code that writes a count, on the thread or (an in-memory
 * database, tests only) on the store's own connection. It is sent to the thread as source
 * text (`runCountStep.toString()`), so it refers to nothing outside itself.
 */
import type Database from 'better-sqlite3';
import type { BatchResult } from '../core/aggregate/aggregate-batch.ts';
import { deserializeState, serializeState, type VisitorState } from '../core/aggregate/visitor-state.ts';
import { COUNTERS } from '../core/dimensions.ts';
import { GRAIN_LABELS, visitGrainRows, visitGrainUpserts } from './visit-grain.ts';

type Value = string | number | null;

/** One statement, run once per `arity` values. */
export interface CountGroup {
  sql: string;
  arity: number;
  /** Per column: the label dimension code of a text to turn into its label id, or -1 for a plain value. */
  labels: readonly number[] | null;
  values: Value[];
}

/**
 * One step of a count, in order: `begin`, any number of `rows`, then `commit` (or `rollback`,
 * when building the rows failed). Rows go over in chunks, each built within a slice of the
 * event loop's time, so that neither building nor copying them holds up requests.
 */
export type CountStep =
  | { begin: true }
  | { rows: CountGroup[]; month: number; labelSql: { upsert: string; find: string } }
  | { commit: true }
  | { rollback: true };

/** What `runCountStep` keeps on one connection: statements, label ids, a count's failure. */
export interface CountCache {
  statements: Map<string, Database.Statement>;
  labels: Map<string, { id: number; month: number }>;
  /** Why the open count failed (it was rolled back then); its commit step throws this. */
  failed?: string | undefined;
}

const COLUMNS = `site_id, dim, time, value, ${COUNTERS.join(', ')}`;
const MARKS = Array(4 + COUNTERS.length)
  .fill('?')
  .join(', ');
const UPSERT_SET = COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ');
const GRAIN_SQL = visitGrainUpserts('values');

export const COUNT_SQL = {
  mark: 'UPDATE journal_mark SET through = ?',
  hour: `INSERT INTO rollup_hour (${COLUMNS}) VALUES (${MARKS}) ON CONFLICT DO UPDATE SET ${UPSERT_SET}`,
  day: `INSERT INTO rollup_day (${COLUMNS}) VALUES (${MARKS}) ON CONFLICT DO UPDATE SET ${UPSERT_SET}`,
  drop: `INSERT INTO dropped (site_id, time, reason, events) VALUES (?, ?, ?, ?)
    ON CONFLICT DO UPDATE SET events = events + excluded.events`,
  visitor: `INSERT INTO visitor (hash, site_id, day, last_seen, state) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT DO UPDATE SET day = excluded.day, last_seen = excluded.last_seen, state = excluded.state`,
};

/** What a count reads back: a visitor's stored state, and how far the journal is counted. */
export const READ_SQL = {
  visitorState: 'SELECT state FROM visitor WHERE hash = ?',
  mark: 'SELECT through FROM journal_mark',
};

/** The stored states of those `hashes` that have one, through `READ_SQL.visitorState` (plucked). */
export function loadStates(
  visitorState: { get(hash: string): unknown },
  hashes: readonly string[],
): Map<string, VisitorState> {
  const found = new Map<string, VisitorState>();
  for (const hash of hashes) {
    const text = visitorState.get(hash) as string | undefined;
    if (text !== undefined) found.set(hash, deserializeState(text));
  }
  return found;
}

/**
 * A batch's writes, as data, in chunks. A chunk ends `slice.ms` after the previous one was
 * handed over, the caller's turn of the event loop included: when requests are waiting, a
 * chunk is small and they are answered first. With `slice.catchUp`, the time counts from
 * when building resumes, so that a count falling behind gets its share. The caller may
 * change both between chunks.
 * With `through`, the journal mark moves in the same transaction.
 */
export function* countChunks(
  batch: BatchResult,
  now: number,
  through: number | undefined,
  slice: { ms: number; catchUp: boolean },
): Generator<CountGroup[]> {
  let groups: CountGroup[] = [];
  let sliceStart = performance.now();
  let rows = 0;
  const group = (sql: string, arity: number, labels: readonly number[] | null = null): CountGroup => {
    const last = groups[groups.length - 1];
    if (last?.sql === sql) return last;
    const fresh = { sql, arity, labels, values: [] };
    groups.push(fresh);
    return fresh;
  };
  /** Whether the chunk is due: the clock is read every 16 rows (a visitor state is slow to build: JSON). */
  const due = () => (++rows & 15) === 0 && performance.now() - sliceStart > slice.ms;
  /** Hands the chunk over when it is due; building resumes after the caller's turn. */
  function* chunkIfDue(): Generator<CountGroup[]> {
    if (!due()) return;
    const chunk = groups;
    groups = [];
    sliceStart = performance.now();
    yield chunk;
    if (slice.catchUp) sliceStart = performance.now();
  }

  if (through !== undefined) group(COUNT_SQL.mark, 1).values.push(through);
  for (const cell of batch.deltas.cells()) {
    const c = cell.counters;
    group(cell.grain === 'hour' ? COUNT_SQL.hour : COUNT_SQL.day, 4 + COUNTERS.length).values.push(
      cell.siteId,
      cell.dim,
      cell.time,
      cell.value,
      c.visitors,
      c.visits,
      c.pageviews,
      c.events,
      c.bounces,
      c.duration_ms,
      c.engaged_ms,
    );
    yield* chunkIfDue();
  }
  for (const drop of batch.deltas.drops()) {
    group(COUNT_SQL.drop, 4).values.push(drop.siteId, drop.bucket, drop.reason, drop.events);
  }
  const grain = visitGrainRows(batch.deltas, (_site, _dim, text) => text);
  for (const [sql, labels, source] of [
    [GRAIN_SQL.visit, GRAIN_LABELS.visit, grain.visits],
    [GRAIN_SQL.page, GRAIN_LABELS.page, grain.pages],
    [GRAIN_SQL.event, GRAIN_LABELS.event, grain.events],
  ] as const) {
    for (const row of source) {
      const values = group(sql, labels.length, labels).values;
      for (const value of row) values.push(value);
      yield* chunkIfDue();
    }
  }
  for (const [hash, state] of batch.touched) {
    group(COUNT_SQL.visitor, 5).values.push(hash, state.siteId, state.day, now, serializeState(state));
    yield* chunkIfDue();
  }
  if (groups.length > 0) yield groups;
}

/**
 * Label ids kept in memory at most (pages, referrers and campaigns keep bringing new texts):
 * past it, the oldest goes. About 170 bytes each, so ~1.7 MB. A label that goes and comes
 * back costs one more lookup in SQL; the busy ones come back at once.
 */
export const LABEL_CACHE_MAX = 10_000;

/**
 * Runs one step of a count on `db`; the transaction is IMMEDIATE. Self-contained: it is also
 * the side thread's code (see the module comment). A failing step rolls the count back and
 * clears the label cache (ids it handed out may be gone); the commit step then throws why.
 */
export function runCountStep(
  db: Database.Database,
  step: CountStep,
  cache: CountCache,
  labelCacheMax: number,
): void {
  const fail = (error: unknown) => {
    if (db.inTransaction) db.exec('ROLLBACK');
    cache.labels.clear();
    cache.failed ??= String(error instanceof Error ? error.message : error);
  };
  if ('begin' in step) {
    cache.failed = undefined;
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      fail(error);
    }
    return;
  }
  if ('rollback' in step) {
    fail('the count was abandoned');
    return;
  }
  if ('commit' in step) {
    if (cache.failed === undefined) {
      try {
        db.exec('COMMIT');
      } catch (error) {
        fail(error);
      }
    }
    if (cache.failed !== undefined) throw new Error(cache.failed);
    return;
  }
  if (cache.failed !== undefined) return;
  const prepared = (sql: string) => {
    let statement = cache.statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.statements.set(sql, statement);
    }
    return statement;
  };
  const month = step.month;
  let labelStatements: { upsert: Database.Statement; find: Database.Statement } | undefined;
  const labelId = (siteId: number, dim: number, text: string): number => {
    const key = `${siteId}\u0001${dim}\u0001${text}`;
    const known = cache.labels.get(key);
    if (known && known.month >= month) return known.id;
    labelStatements ??= {
      upsert: prepared(step.labelSql.upsert),
      find: prepared(step.labelSql.find).pluck(),
    };
    labelStatements.upsert.run(siteId, dim, text, month);
    const id = known ? known.id : (labelStatements.find.get(siteId, dim, text) as number);
    // The oldest goes (a Map keeps insertion order): the cache stays at its bound, not
    // growing to it and starting over, which an RSS that should stay flat would show.
    if (!known && cache.labels.size >= labelCacheMax)
      cache.labels.delete(cache.labels.keys().next().value as string);
    cache.labels.set(key, { id, month });
    return id;
  };
  try {
    for (const group of step.rows) {
      const statement = prepared(group.sql);
      const { arity, labels, values } = group;
      const row: (string | number | null)[] = new Array(arity);
      for (let at = 0; at < values.length; at += arity) {
        for (let i = 0; i < arity; i++) {
          const value = values[at + i] as string | number | null;
          const dim = labels ? (labels[i] as number) : -1;
          row[i] = dim < 0 ? value : labelId(values[at] as number, dim, value as string);
        }
        statement.run(...row);
      }
    }
  } catch (error) {
    fail(error);
  }
}
