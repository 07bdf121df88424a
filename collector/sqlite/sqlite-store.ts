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
import type { VisitorState } from '../core/aggregate/visitor-state.ts';
import { COUNTERS } from '../core/dimensions.ts';
import { type SiteRow, toSite } from '../core/site-row.ts';
import type {
  RollupQuery,
  RollupRow,
  SessionRecord,
  Site,
  SiteOptions,
  Store,
  TokenRecord,
  VisitGrainQuery,
  VisitGrainRow,
} from '../core/store.ts';
import { firstDayOfMonth, firstWholeMonth, lastDayOfMonth } from '../core/time/month.ts';
import { migrate } from './migrate.ts';
import { SESSION_SQL, type SessionRow, toSessionRecord } from './session-sql.ts';
import {
  type CountCache,
  type CountStep,
  countChunks,
  LABEL_CACHE_MAX,
  loadStates,
  READ_SQL,
  runCountStep,
} from './sqlite-count.ts';
import { SqliteThread } from './sqlite-thread.ts';
import {
  batchMonth,
  LABEL_SQL,
  labelMonth,
  VISIT_GRAIN_TABLES,
  visitGrainSql,
  visitStarts,
} from './visit-grain.ts';

/** A filtered query reads the visit grain in parts of this many seconds of visit starts. */
const GRAIN_PART_S = 31 * 86_400;
const GRAIN_SUMS = [
  'visits',
  'bounces',
  'duration_ms',
  'pageviews',
  'events',
  'engaged_ms',
  'basis',
] as const;

/**
 * Building a count's rows yields to the event loop about this long (ms) after it last did,
 * that turn of the event loop included: requests waiting come first (sqlite-count.ts). A
 * count that runs past `LONG_COUNT_MS` is falling behind (under overload, a few rows per
 * turn counted ~5k events/s while ~11k were acknowledged): it then builds for slices of its
 * own, growing with its age up to `MAX_SLICE_MS`.
 */
const SLICE_MS = 1;
const LONG_COUNT_MS = 1000;
const MAX_SLICE_MS = 8;

export type SyncMode = 'normal' | 'full';

const SUMS = COUNTERS.map((c) => `SUM(${c}) AS ${c}`).join(', ');

export interface OpenOptions {
  /** Other WAL files for the side thread to checkpoint (the journal's). */
  alsoCheckpoint?: readonly string[];
  /**
   * Another thread checkpoints the WAL files (the count thread, `checkpoints.ts`): the store's
   * writing side thread then starts only if a count is sent to it (an `InlineCounter`), and
   * checkpoints nothing. An idle thread costs ~18 MB.
   */
  checkpointedElsewhere?: boolean;
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
  // This connection writes little (sites, salts, retention) and reads visitor states by key;
  // counts write on the side thread, and stats queries read there.
  if (path !== ':memory:') db.pragma('cache_size = -512');
  migrate(db);
  if (path === ':memory:') return new SqliteStore(db);
  const onError =
    options.onThreadError ??
    ((error: Error) => console.error(`glimt: a SQLite side thread stopped: ${error.message}`));
  // Two side threads: one writes counts and checkpoints the WAL, one answers stats queries, so
  // that a query of seconds (a year, filtered) holds up no count, and no count holds it up.
  const checkpoint = options.checkpointedElsewhere ? [] : [path, ...(options.alsoCheckpoint ?? [])];
  const startWriter = () =>
    new SqliteThread({ path, pragmas: countPragmas(path, sync), checkpoint, onError });
  let writer = options.checkpointedElsewhere ? undefined : startWriter();
  // Started at the first query: a collector nobody reads from needs no second thread.
  let reader: SqliteThread | undefined;
  return new SqliteStore(db, {
    all: (sql, params, slow) => {
      if (!reader || reader.exited) reader = new SqliteThread({ path, pragmas: [], checkpoint: [], onError });
      return reader.all(sql, params, slow);
    },
    step: (step) => {
      // A thread that died (its error is logged) is replaced at the next count: counting goes
      // on, and the journal, which kept every event, is replayed from the mark.
      if ((!writer || writer.exited) && 'begin' in step) writer = startWriter();
      return writer ? writer.step(step) : Promise.reject(new Error('no count was begun'));
    },
    clearLabels: () => writer?.clearLabels(),
    close: async () => {
      await Promise.all([writer?.close(), reader?.close()]);
    },
  });
}

/**
 * The settings of a connection that writes counts: the store's; a small page cache (what a
 * count dirties beyond it goes to the WAL as it is written, on that connection's thread).
 */
export function countPragmas(path: string, sync: SyncMode): string[] {
  return [...walPragmas(path, sync), 'foreign_keys = ON', 'cache_size = -512'];
}

/** A writing connection as the store and the journal both open theirs. */
export function openWalConnection(path: string, sync: SyncMode): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const pragma of walPragmas(path, sync)) db.pragma(pragma);
  return db;
}

/** The settings of every writing connection, once the file is in WAL mode. */
function walPragmas(path: string, sync: SyncMode): string[] {
  return [
    // NORMAL in WAL mode survives a crash of the process; FULL also survives power loss.
    // https://www.sqlite.org/pragma.html#pragma_synchronous
    `synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`,
    // Overwrite deleted content with zeros, so that destroyed salts and hashes leave no bytes behind.
    'secure_delete = ON',
    'busy_timeout = 5000',
    // A WAL that starts over is cut back to this size (bytes), not left at its largest.
    'journal_size_limit = 8388608',
    // Checkpoints run on the side thread (sqlite-thread.ts), not in a commit on the event loop.
    ...(path === ':memory:' ? [] : ['wal_autocheckpoint = 0']),
  ];
}

/** Where stats queries and counts run: the side threads, or (an in-memory database) this connection. */
interface Worker {
  /** `slow`: reads the visit grain (seconds over a year); quick reads go first. */
  all<T>(sql: string, params: readonly unknown[], slow?: boolean): Promise<T[]>;
  /** Sends a step of a count; only a commit's promise waits for the answer. */
  step(step: CountStep): Promise<void>;
  clearLabels(): void;
  close(): Promise<void>;
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  readonly #stmt;
  /** Counts and stats queries: on the side threads, or here (an in-memory database). */
  readonly #worker: Worker;
  /**
   * The count being written. Any other write on this connection meanwhile would wait for the
   * count's lock on the event loop (on the side thread), or (here) could join its
   * transaction and share its fate: writes wait for it to end first (`#idle`).
   */
  #counting: Promise<void> | undefined;

  constructor(db: Database.Database, worker?: Worker) {
    this.db = db;
    const cache: CountCache = { statements: new Map(), labels: new Map() };
    this.#worker = worker ?? {
      all: async <T>(sql: string, params: readonly unknown[]) => db.prepare(sql).all(...params) as T[],
      step: async (step) => runCountStep(db, step, cache, LABEL_CACHE_MAX),
      clearLabels: () => cache.labels.clear(),
      close: async () => undefined,
    };
    this.#stmt = {
      loadVisitor: db.prepare(READ_SQL.visitorState).pluck(),
      getMark: db.prepare(READ_SQL.mark).pluck(),
    };
  }

  readonly #labelListeners: (() => void)[] = [];

  /** `listener` runs whenever labels may have been deleted: a count elsewhere (a thread) caches label ids too. */
  onClearLabels(listener: () => void): void {
    this.#labelListeners.push(listener);
  }

  #clearLabels(): void {
    this.#worker.clearLabels();
    for (const listener of this.#labelListeners) listener();
  }

  async listSites(): Promise<Site[]> {
    const sites = (this.db.prepare('SELECT * FROM site ORDER BY domain').all() as SiteRow[]).map(toSite);
    // Another process (the CLI) may have removed a site, and another may since have taken its
    // id: cached label ids of that id would then name labels that are gone.
    const known = new Map(sites.map((site) => [site.id, site.domain]));
    for (const [id, domain] of this.#siteDomains) {
      if (known.get(id) !== domain) {
        this.#clearLabels();
        break;
      }
    }
    this.#siteDomains = known;
    return sites;
  }

  /** The sites as `listSites` last saw them: id → domain. */
  #siteDomains = new Map<number, string>();

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
    this.#clearLabels(); // the site's labels go with it
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

  async revokeOtherAdminTokens(keep: string): Promise<number> {
    await this.#idle();
    return this.db.transaction(() => {
      const revoked = this.db.prepare(SESSION_SQL.revokeAdminTokens).run(keep).changes;
      if (revoked > 0) this.db.prepare(SESSION_SQL.deleteAdminSessions).run();
      return revoked;
    })();
  }

  async hasAdminToken(): Promise<boolean> {
    return this.db.prepare("SELECT 1 FROM token WHERE kind = 'admin' LIMIT 1").get() !== undefined;
  }

  async addSession(hash: string, record: SessionRecord, now: number): Promise<void> {
    await this.#idle();
    this.db.prepare(SESSION_SQL.purgeExpired).run(now);
    this.db.prepare(SESSION_SQL.add).run(hash, record.kind, record.siteId, record.expiresAt);
  }

  async findSession(hash: string, now: number): Promise<SessionRecord | undefined> {
    const row = this.db.prepare(SESSION_SQL.find).get(hash, now) as SessionRow | undefined;
    return row && toSessionRecord(row);
  }

  async deleteSession(hash: string): Promise<void> {
    await this.#idle();
    this.db.prepare(SESSION_SQL.delete).run(hash);
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
    return loadStates(this.#stmt.loadVisitor, hashes);
  }

  async commit(batch: BatchResult, now: number): Promise<void> {
    await this.commitCounted(batch, now);
  }

  /**
   * Writes a batch in one transaction on the side thread (`sqlite-count.ts`), and with
   * `through` marks the journal counted through that entry in it. The event loop builds the
   * rows in slices of about a millisecond and answers requests in between. The batch's
   * states must stay as they are until this resolves (the group committer freezes them).
   */
  async commitCounted(batch: BatchResult, now: number, through?: number): Promise<void> {
    await this.#idle();
    const running = this.#count(batch, now, through);
    this.#counting = running;
    try {
      await running;
    } finally {
      this.#counting = undefined;
    }
  }

  async #count(batch: BatchResult, now: number, through: number | undefined): Promise<void> {
    const worker = this.#worker;
    const month = batchMonth(batch.deltas);
    const labelSql = { upsert: LABEL_SQL.upsert, find: LABEL_SQL.find };
    void worker.step({ begin: true });
    try {
      const slice = { ms: SLICE_MS, catchUp: false };
      const started = performance.now();
      for (const rows of countChunks(batch, now, through, slice)) {
        void worker.step({ rows, month, labelSql });
        await yieldToIo();
        // A count that has run for a while is falling behind: slices of its own, growing.
        const age = performance.now() - started;
        slice.catchUp = age > LONG_COUNT_MS;
        slice.ms = Math.min(MAX_SLICE_MS, SLICE_MS * Math.max(1, age / LONG_COUNT_MS));
      }
    } catch (error) {
      void worker.step({ rollback: true });
      throw error;
    }
    await worker.step({ commit: true });
  }

  /**
   * Resolves when no count is being written, here or (with a write gate) on the count thread.
   * Every caller writes synchronously right after it: the gate's hold is released once that
   * turn of the event loop is over (`setImmediate`).
   */
  async #idle(): Promise<void> {
    while (this.#counting) await this.#counting.catch(() => undefined);
    if (this.#gate) setImmediate(await this.#gate());
  }

  #gate: (() => Promise<() => void>) | undefined;

  /**
   * Counts written elsewhere (the count thread): `gate` resolves once none is being written,
   * and holds the next one back until the function it returns is called.
   */
  gateWrites(gate: () => Promise<() => void>): void {
    this.#gate = gate;
  }

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

  async rollup(query: RollupQuery): Promise<RollupRow[]> {
    const table = `rollup_${query.grain}`;
    const byValue = query.groupBy === 'value' || query.groupBy === 'value_time';
    const byTime = query.groupBy === 'time' || query.groupBy === 'value_time';
    const group = [byValue && 'value', byTime && 'time'].filter(Boolean).join(', ');
    const onlyValue = query.value === undefined ? '' : 'AND value = ?';
    const params: (string | number)[] = [query.siteId, query.dim, query.from, query.to];
    if (query.value !== undefined) params.push(query.value);
    const rows = await this.#worker.all<RollupRow>(
      `SELECT ${byValue ? 'value' : "''"} AS value, ${byTime ? 'time' : '0'} AS time, ${SUMS} FROM ${table}
       WHERE site_id = ? AND dim = ? AND time BETWEEN ? AND ? ${onlyValue} ${group ? `GROUP BY ${group}` : ''}`,
      params,
    );
    // SUM over no rows is one row of NULLs: read it as zeros.
    return rows.map(zeroNulls);
  }

  /**
   * Read in parts of a month of visit starts, each its own query on the reader thread: over a
   * year that takes seconds, and quick reads (the rollups) go in between the parts.
   */
  async visitGrain(query: VisitGrainQuery): Promise<VisitGrainRow[]> {
    const { from, to } = visitStarts(query);
    const parts: Promise<VisitGrainRow[]>[] = [];
    for (let start = from; start <= to; start += GRAIN_PART_S) {
      const { sql, params } = visitGrainSql(query, {
        from: start,
        to: Math.min(to, start + GRAIN_PART_S - 1),
      });
      parts.push(this.#worker.all<VisitGrainRow>(sql, params, true));
    }
    if (parts.length === 1) return parts[0] as Promise<VisitGrainRow[]>;
    // Every visit is in one part, so each part's sums and distinct visits add up.
    const merged = new Map<string, VisitGrainRow>();
    for (const rows of await Promise.all(parts)) {
      for (const row of rows) {
        const key = `${row.value}\u0001${row.time}`;
        const sum = merged.get(key);
        if (!sum) merged.set(key, { ...row });
        else for (const field of GRAIN_SUMS) sum[field] += row[field];
      }
    }
    return [...merged.values()];
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

  async firstDay(siteId: number, dim: number): Promise<number | undefined> {
    // One seek on the primary key (site_id, dim, time, value).
    const day = this.db
      .prepare('SELECT MIN(time) FROM rollup_day WHERE site_id = ? AND dim = ?')
      .pluck()
      .get(siteId, dim) as number | null;
    return day ?? undefined;
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
    return this.#worker.all<{ reason: string; events: number }>(
      `SELECT reason, SUM(events) AS events FROM dropped WHERE site_id = ? AND time BETWEEN ? AND ?
       GROUP BY reason ORDER BY events DESC, reason`,
      [siteId, fromBucket, toBucket],
    );
  }

  async liveVisitors(siteId: number, sinceMs: number): Promise<number> {
    const [row] = await this.#worker.all<{ n: number }>(
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
    this.#clearLabels(); // retention deletes labels
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
    await this.#worker.close();
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
