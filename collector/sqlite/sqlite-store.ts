/**
 * @module The embedded store: one SQLite file in WAL mode, through better-sqlite3.
 *
 * better-sqlite3 is synchronous, so one `commit` is one transaction that blocks the
 * event loop for its few milliseconds; group commit keeps that to one per batch.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { BatchResult } from '../core/aggregate/aggregate-batch.ts';
import { deserializeState, serializeState, type VisitorState } from '../core/aggregate/visitor-state.ts';
import { COUNTERS } from '../core/dimensions.ts';
import { type SiteRow, toSite } from '../core/site-row.ts';
import type {
  RollupQuery,
  RollupRow,
  Site,
  SiteOptions,
  Store,
  TokenRecord,
  VisitGrainQuery,
  VisitGrainRow,
} from '../core/store.ts';
import { firstDayOfMonth, firstWholeMonth, lastDayOfMonth } from '../core/time/month.ts';
import { migrate } from './migrate.ts';
import { SqliteThread } from './sqlite-thread.ts';
import {
  batchMonth,
  LABEL_SQL,
  labelKey,
  labelMonth,
  VISIT_GRAIN_TABLES,
  visitGrainRows,
  visitGrainSql,
  visitGrainUpserts,
} from './visit-grain.ts';

export type SyncMode = 'normal' | 'full';

const SUMS = COUNTERS.map((c) => `SUM(${c}) AS ${c}`).join(', ');
const UPSERT_SET = COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ');

export interface OpenOptions {
  /** Other WAL files for the side thread to checkpoint (the journal's). */
  alsoCheckpoint?: readonly string[];
  /** The side thread died (queries then fail). */
  onThreadError?: (error: Error) => void;
}

export function openSqliteStore(
  path: string,
  sync: SyncMode = 'normal',
  options: OpenOptions = {},
): SqliteStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = openWalConnection(path, sync);
  db.pragma('foreign_keys = ON');
  // The writer's page cache is small: what a count's transaction dirties beyond it is written
  // to the WAL during the count's slices, not all at its COMMIT (500 pages took ~8 ms there).
  // Stats queries read on the side thread, through a connection of their own.
  if (path !== ':memory:') db.pragma('cache_size = -512');
  migrate(db);
  if (path === ':memory:') return new SqliteStore(db);
  const thread = new SqliteThread(
    path,
    [path, ...(options.alsoCheckpoint ?? [])],
    options.onThreadError ??
      ((error) => console.error(`glimt: the SQLite side thread stopped: ${error.message}`)),
  );
  return new SqliteStore(db, thread);
}

/** A writing connection as the store and the journal both open theirs. */
export function openWalConnection(path: string, sync: SyncMode): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a crash of the process; FULL also survives power loss.
  // https://www.sqlite.org/pragma.html#pragma_synchronous
  db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
  // Overwrite deleted content with zeros, so that destroyed salts and hashes leave no bytes behind.
  db.pragma('secure_delete = ON');
  db.pragma('busy_timeout = 5000');
  // A WAL that starts over is cut back to this size (bytes), not left at its largest.
  db.pragma('journal_size_limit = 8388608');
  // Checkpoints run on the side thread (sqlite-thread.ts), not in a commit on the event loop.
  if (path !== ':memory:') db.pragma('wal_autocheckpoint = 0');
  return db;
}

/** Where stats queries run: the side thread, or (an in-memory database) this connection. */
interface Reader {
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Label ids kept in memory at most (pages and referrers can be many): past it, the cache starts over. */
const LABEL_CACHE_MAX = 50_000;

/** A count's transaction yields to the event loop after about this long (ms): requests wait no longer. */
const SLICE_MS = 1;

export class SqliteStore implements Store {
  readonly db: Database.Database;
  readonly #stmt;
  /**
   * Label ids by `labelKey`, with the month each was last marked used. Cleared when a
   * transaction that created some rolls back, and when retention or a removed site deletes some.
   */
  readonly #labels = new Map<string, { id: number; month: number }>();
  /** The month of the count being written (labels it uses are marked used in it). */
  #month = 0;

  /** Stats queries: committed data only, off the event loop (the writer's page cache is small, too). */
  readonly #read: Reader;
  /**
   * The count whose transaction is open, yielding between its statements. Any other write on
   * this connection meanwhile would join that transaction and share its fate (a rollback would
   * take a new day's salt with it): writes wait for it to end first (`#idle`).
   */
  #counting: Promise<void> | undefined;

  constructor(db: Database.Database, reader?: Reader) {
    this.db = db;
    this.#read = reader ?? {
      all: async <T>(sql: string, params: readonly unknown[]) => db.prepare(sql).all(...params) as T[],
      close: async () => undefined,
    };
    const cols = `site_id, dim, time, value, ${COUNTERS.join(', ')}`;
    const marks = Array(4 + COUNTERS.length)
      .fill('?')
      .join(', ');
    this.#stmt = {
      upsertHour: db.prepare(
        `INSERT INTO rollup_hour (${cols}) VALUES (${marks}) ON CONFLICT DO UPDATE SET ${UPSERT_SET}`,
      ),
      upsertDay: db.prepare(
        `INSERT INTO rollup_day (${cols}) VALUES (${marks}) ON CONFLICT DO UPDATE SET ${UPSERT_SET}`,
      ),
      upsertDrop: db.prepare(
        `INSERT INTO dropped (site_id, time, reason, events) VALUES (?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET events = events + excluded.events`,
      ),
      upsertVisitor: db.prepare(
        `INSERT INTO visitor (hash, site_id, day, last_seen, state) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET day = excluded.day, last_seen = excluded.last_seen, state = excluded.state`,
      ),
      loadVisitor: db.prepare('SELECT state FROM visitor WHERE hash = ?').pluck(),
      ...(() => {
        const sql = visitGrainUpserts('values');
        return {
          upsertVisit: db.prepare(sql.visit),
          upsertVisitPage: db.prepare(sql.page),
          upsertVisitEvent: db.prepare(sql.event),
        };
      })(),
      setMark: db.prepare('UPDATE journal_mark SET through = ?'),
      getMark: db.prepare('SELECT through FROM journal_mark').pluck(),
      upsertLabel: db.prepare(LABEL_SQL.upsert),
      findLabel: db.prepare(LABEL_SQL.find).pluck(),
    };
  }

  async listSites(): Promise<Site[]> {
    return (this.db.prepare('SELECT * FROM site ORDER BY domain').all() as SiteRow[]).map(toSite);
  }

  async addSite(domain: string, options: SiteOptions): Promise<Site> {
    await this.#idle();
    const row = this.db
      .prepare(
        `INSERT INTO site (domain, timezone, honour_opt_out, retention_months, created_at)
         VALUES (?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(
        domain,
        options.timezone ?? 'UTC',
        options.honourOptOut === false ? 0 : 1,
        options.retentionMonths ?? 25,
        Date.now(),
      ) as SiteRow;
    return toSite(row);
  }

  async updateSite(domain: string, options: SiteOptions): Promise<Site | undefined> {
    await this.#idle();
    const row = this.db
      .prepare(
        `UPDATE site SET timezone = coalesce(?, timezone), honour_opt_out = coalesce(?, honour_opt_out),
         retention_months = coalesce(?, retention_months) WHERE domain = ? RETURNING *`,
      )
      .get(
        options.timezone ?? null,
        options.honourOptOut === undefined ? null : options.honourOptOut ? 1 : 0,
        options.retentionMonths ?? null,
        domain,
      ) as SiteRow | undefined;
    return row && toSite(row);
  }

  async removeSite(domain: string): Promise<boolean> {
    await this.#idle();
    this.#labels.clear(); // the site's labels go with it
    return this.db.transaction(() => {
      const id = this.db.prepare('SELECT id FROM site WHERE domain = ?').pluck().get(domain) as
        | number
        | undefined;
      if (id === undefined) return false;
      for (const table of [
        'rollup_hour',
        'rollup_day',
        'rollup_month',
        'folded_month',
        'dropped',
        'visitor',
        'salt',
        'token',
        ...VISIT_GRAIN_TABLES.map(([table]) => table),
        'label',
      ]) {
        this.db.prepare(`DELETE FROM ${table} WHERE site_id = ?`).run(id);
      }
      this.db.prepare('DELETE FROM site WHERE id = ?').run(id);
      return true;
    })();
  }

  async addToken(hash: string, record: TokenRecord): Promise<void> {
    await this.#idle();
    this.db
      .prepare('INSERT INTO token (hash, kind, site_id, created_at) VALUES (?, ?, ?, ?)')
      .run(hash, record.kind, record.siteId, Date.now());
  }

  async findToken(hash: string): Promise<TokenRecord | undefined> {
    const row = this.db.prepare('SELECT kind, site_id FROM token WHERE hash = ?').get(hash) as
      | { kind: 'admin' | 'share'; site_id: number | null }
      | undefined;
    return row && { kind: row.kind, siteId: row.site_id };
  }

  async hasAdminToken(): Promise<boolean> {
    return this.db.prepare("SELECT 1 FROM token WHERE kind = 'admin' LIMIT 1").get() !== undefined;
  }

  async salt(siteId: number, day: number, candidate: Uint8Array): Promise<Uint8Array> {
    await this.#idle();
    this.db
      .prepare('INSERT OR IGNORE INTO salt (site_id, day, salt) VALUES (?, ?, ?)')
      .run(siteId, day, Buffer.from(candidate));
    const stored = this.db
      .prepare('SELECT salt FROM salt WHERE site_id = ? AND day = ?')
      .pluck()
      .get(siteId, day);
    return new Uint8Array(stored as Buffer);
  }

  async loadVisitors(hashes: readonly string[]): Promise<Map<string, VisitorState>> {
    const found = new Map<string, VisitorState>();
    for (const hash of hashes) {
      const text = this.#stmt.loadVisitor.get(hash) as string | undefined;
      if (text !== undefined) found.set(hash, deserializeState(text));
    }
    return found;
  }

  async commit(batch: BatchResult, now: number): Promise<void> {
    this.commitSync(batch, now);
  }

  /** Writes a batch in one transaction, at once. */
  commitSync(batch: BatchResult, now: number): void {
    try {
      this.db.transaction(() => {
        for (const _ of this.#writes(batch, now)) {
          // each step is one statement
        }
      })();
    } catch (error) {
      this.#labels.clear();
      throw error;
    }
  }

  /**
   * Writes a batch counted from the journal, and marks the journal counted through `through`,
   * in one transaction that yields to the event loop every few milliseconds: requests are
   * answered in between (their journal appends go to another file). The transaction is
   * IMMEDIATE, so nothing else writes here meanwhile but this connection's own small writes
   * (a new day's salt), which then commit with it.
   */
  async commitCounted(batch: BatchResult, now: number, through: number): Promise<void> {
    await this.#idle();
    const running = this.#runCount(batch, now, through);
    this.#counting = running;
    try {
      await running;
    } finally {
      this.#counting = undefined;
    }
  }

  /** Resolves when no count's transaction is open on this connection. */
  async #idle(): Promise<void> {
    while (this.#counting) await this.#counting.catch(() => undefined);
  }

  async #runCount(batch: BatchResult, now: number, through: number): Promise<void> {
    const db = this.db;
    db.exec('BEGIN IMMEDIATE');
    try {
      let sliceStart = performance.now();
      let steps = 0;
      for (const _ of this.#writes(batch, now, through)) {
        if ((++steps & 7) === 0 && performance.now() - sliceStart > SLICE_MS) {
          await yieldToIo();
          sliceStart = performance.now();
        }
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      this.#labels.clear(); // ids handed out in the rolled-back transaction are gone
      throw error;
    }
  }

  #labelId = (siteId: number, dim: number, value: string): number => {
    const key = labelKey(siteId, dim, value);
    const known = this.#labels.get(key);
    if (known && known.month >= this.#month) return known.id;
    this.#stmt.upsertLabel.run(siteId, dim, value, this.#month);
    const id = known?.id ?? (this.#stmt.findLabel.get(siteId, dim, value) as number);
    if (!known && this.#labels.size >= LABEL_CACHE_MAX) this.#labels.clear();
    this.#labels.set(key, { id, month: this.#month });
    return id;
  };

  /** Journal entries up to this id are counted. */
  journalMark(): number {
    return this.#stmt.getMark.get() as number;
  }

  /** Batches an older version left in this file's own journal table, oldest first. */
  takeLegacyJournal(): { id: number; events: string }[] {
    return this.db.prepare('SELECT id, events FROM journal ORDER BY id').all() as {
      id: number;
      events: string;
    }[];
  }

  clearLegacyJournal(): void {
    this.db.prepare('DELETE FROM journal').run();
  }

  /** A batch's writes, one statement per step: deltas, drop counts, the visit grain, visitor states. */
  *#writes(batch: BatchResult, now: number, through?: number): Generator<void> {
    const s = this.#stmt;
    if (through !== undefined) s.setMark.run(through);
    for (const cell of batch.deltas.cells()) {
      const c = cell.counters;
      (cell.grain === 'hour' ? s.upsertHour : s.upsertDay).run(
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
      yield;
    }
    for (const drop of batch.deltas.drops()) {
      s.upsertDrop.run(drop.siteId, drop.bucket, drop.reason, drop.events);
      yield;
    }
    this.#month = batchMonth(batch.deltas);
    const grain = visitGrainRows(batch.deltas, this.#labelId);
    for (const row of grain.visits) {
      s.upsertVisit.run(...row);
      yield;
    }
    for (const row of grain.pages) {
      s.upsertVisitPage.run(...row);
      yield;
    }
    for (const row of grain.events) {
      s.upsertVisitEvent.run(...row);
      yield;
    }
    for (const [hash, state] of batch.touched) {
      s.upsertVisitor.run(hash, state.siteId, state.day, now, serializeState(state));
      yield;
    }
  }

  async rollup(query: RollupQuery): Promise<RollupRow[]> {
    const table = `rollup_${query.grain}`;
    const byValue = query.groupBy === 'value' || query.groupBy === 'value_time';
    const byTime = query.groupBy === 'time' || query.groupBy === 'value_time';
    const group = [byValue && 'value', byTime && 'time'].filter(Boolean).join(', ');
    const onlyValue = query.value === undefined ? '' : 'AND value = ?';
    const params: (string | number)[] = [query.siteId, query.dim, query.from, query.to];
    if (query.value !== undefined) params.push(query.value);
    const rows = await this.#read.all<RollupRow>(
      `SELECT ${byValue ? 'value' : "''"} AS value, ${byTime ? 'time' : '0'} AS time, ${SUMS} FROM ${table}
       WHERE site_id = ? AND dim = ? AND time BETWEEN ? AND ? ${onlyValue} ${group ? `GROUP BY ${group}` : ''}`,
      params,
    );
    // SUM over no rows is one row of NULLs: read it as zeros.
    return rows.map(zeroNulls);
  }

  async visitGrain(query: VisitGrainQuery): Promise<VisitGrainRow[]> {
    const { sql, params } = visitGrainSql(query);
    return this.#read.all<VisitGrainRow>(sql, params);
  }

  async foldedMonths(siteId: number): Promise<Map<number, number>> {
    const rows = this.db
      .prepare('SELECT month, through_day FROM folded_month WHERE site_id = ?')
      .all(siteId) as {
      month: number;
      through_day: number;
    }[];
    return new Map(rows.map((row) => [row.month, row.through_day]));
  }

  async foldMonth(siteId: number, month: number, throughDay: number): Promise<void> {
    await this.#idle();
    const sums = COUNTERS.map((c) => `SUM(${c})`).join(', ');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM rollup_month WHERE site_id = ? AND time = ?').run(siteId, month);
      this.db
        .prepare(
          `INSERT INTO rollup_month (site_id, dim, time, value, ${COUNTERS.join(', ')})
           SELECT site_id, dim, ?, value, ${sums} FROM rollup_day
           WHERE site_id = ? AND time BETWEEN ? AND ? GROUP BY dim, value`,
        )
        .run(month, siteId, firstDayOfMonth(month), Math.min(throughDay, lastDayOfMonth(month)));
      this.db
        .prepare(
          `INSERT INTO folded_month (site_id, month, through_day) VALUES (?, ?, ?)
           ON CONFLICT DO UPDATE SET through_day = excluded.through_day`,
        )
        .run(siteId, month, throughDay);
    })();
  }

  async dropped(siteId: number, fromBucket: number, toBucket: number) {
    return this.#read.all<{ reason: string; events: number }>(
      `SELECT reason, SUM(events) AS events FROM dropped WHERE site_id = ? AND time BETWEEN ? AND ?
       GROUP BY reason ORDER BY events DESC, reason`,
      [siteId, fromBucket, toBucket],
    );
  }

  async liveVisitors(siteId: number, sinceMs: number): Promise<number> {
    const [row] = await this.#read.all<{ n: number }>(
      'SELECT count(*) AS n FROM visitor WHERE site_id = ? AND last_seen >= ?',
      [siteId, sinceMs],
    );
    return row?.n ?? 0;
  }

  async purge(
    siteId: number,
    beforeDay: number,
    keepBucketsFrom: number,
    keepDaysFrom: number,
  ): Promise<void> {
    await this.#idle();
    this.#labels.clear(); // retention deletes labels
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM salt WHERE site_id = ? AND day < ?').run(siteId, beforeDay);
      this.db.prepare('DELETE FROM visitor WHERE site_id = ? AND day < ?').run(siteId, beforeDay);
      this.db.prepare('DELETE FROM rollup_hour WHERE site_id = ? AND time < ?').run(siteId, keepBucketsFrom);
      this.db.prepare('DELETE FROM dropped WHERE site_id = ? AND time < ?').run(siteId, keepBucketsFrom);
      for (const [table, time] of VISIT_GRAIN_TABLES) {
        this.db
          .prepare(`DELETE FROM ${table} WHERE site_id = ? AND ${time} < ?`)
          .run(siteId, keepBucketsFrom);
      }
      this.db.prepare(LABEL_SQL.purge).run(siteId, labelMonth(keepBucketsFrom));
      this.db.prepare('DELETE FROM rollup_day WHERE site_id = ? AND time < ?').run(siteId, keepDaysFrom);
      // A month that has lost a day to retention is read from its remaining days again.
      const firstWhole = firstWholeMonth(keepDaysFrom);
      this.db.prepare('DELETE FROM rollup_month WHERE site_id = ? AND time < ?').run(siteId, firstWhole);
      this.db.prepare('DELETE FROM folded_month WHERE site_id = ? AND month < ?').run(siteId, firstWhole);
    })();
  }

  /** Copies the WAL back into the main file and truncates it: destroyed pages leave the WAL too. */
  checkpoint(): void {
    truncateWal(this.db);
  }

  async close(): Promise<void> {
    await this.#read.close();
    if (this.db.open) {
      this.checkpoint();
      this.db.close();
    }
  }
}

/**
 * `wal_checkpoint(TRUNCATE)`, retried while another connection (the side thread's, a
 * reader) holds it off: SQLite answers "busy" as a result row, not an error, and invariant 3
 * relies on the truncation. Throws when it cannot complete.
 */
export function truncateWal(db: Database.Database, attempts = 250): void {
  for (let i = 0; i < attempts; i++) {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
    if (!result || (result.busy === 0 && result.log <= 0)) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // 20 ms, then again
  }
  throw new Error('the WAL could not be truncated: another connection kept it busy');
}

function zeroNulls(row: RollupRow): RollupRow {
  for (const counter of COUNTERS) row[counter] ??= 0;
  return row;
}
