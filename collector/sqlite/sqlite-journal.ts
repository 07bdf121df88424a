/**
 * @module The Node runtime's write-ahead journal, in a SQLite file of its own beside the store's.
 *
 * Why a file of its own: SQLite has one writer per file. A count (rollups, visit grain,
 * visitor states: thousands of rows) is one transaction that the side thread writes while
 * the event loop goes on; were the journal in the same file, a request's append would wait
 * for the whole count. Here it commits on its own, in well under a millisecond.
 *
 * Why a rollback journal, not a WAL (`GLIMT_SYNC=normal`): a file appended to hundreds of
 * times a second never finds its WAL wholly checkpointed, so the WAL grows without end
 * unless a RESTART checkpoint holds every append until it is done (stalls of 20 to 100 ms,
 * every few seconds, measured in bench/README.md). With a rollback journal there is no
 * checkpoint: an append writes its pages in place. `synchronous = OFF` hands them to the
 * operating system without waiting for the disk, which is what `normal` promises: a 202
 * survives a crash of the process (https://www.sqlite.org/pragma.html#pragma_synchronous);
 * the rollback journal still undoes a transaction that a crash cut short. `full` (power
 * loss too) keeps a WAL synced at every commit, checkpointed by the count thread.
 *
 * What is counted is marked in the store (`journal_mark`), in the count's transaction: the
 * two files never need to commit together. Entries at or below the mark are deleted after the
 * count, with `secure_delete`, and the maintenance job truncates this file's WAL (if any) with
 * the store's at salt rotation: a visitor hash here lives no longer than elsewhere.
 */
import { rmSync } from 'node:fs';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { BatchResult } from '../core/aggregate/aggregate-batch.ts';
import type { Committable } from '../core/pipeline/collected-event.ts';
import type { Journal } from '../core/store.ts';
import { decodeEntries, encodeEvents, type JournalRow } from './journal-entries.ts';
import { openWalConnection, type SqliteStore, type SyncMode, truncateWal } from './sqlite-store.ts';

/** The journal of the store at `storePath`: `glimt.db` → `glimt.db.journal`. */
export function journalPathFor(storePath: string): string {
  return storePath === ':memory:' ? ':memory:' : `${storePath}.journal`;
}

export class SqliteJournal implements Journal {
  readonly db: Database.Database;
  readonly #store: SqliteStore;
  readonly #stmt;

  /**
   * `lockedWaitMs`: how long to wait for another collector on the same database to let go of
   * the journal (one draining at a restart) before refusing to start.
   */
  constructor(store: SqliteStore, path: string, sync: SyncMode = 'normal', lockedWaitMs = 30_000) {
    this.#store = store;
    const db = sync === 'full' ? openWalConnection(path, sync) : openRollbackConnection(path, lockedWaitMs);
    // Its table holds about a second of events: 256 KiB of page cache, not the default 2 MB.
    db.pragma('cache_size = -256');
    // AUTOINCREMENT: ids never go back, even when every entry is deleted (the mark must stay below new ids).
    db.exec(
      'CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT, events TEXT NOT NULL)',
    );
    this.db = db;
    this.#stmt = {
      append: db.prepare('INSERT INTO journal (events) VALUES (?)'),
      afterPage: db.prepare('SELECT id, events FROM journal WHERE id > ? ORDER BY id LIMIT ?'),
      adoptLegacy: db.prepare('INSERT OR IGNORE INTO journal (id, events) VALUES (?, ?)'),
      deleteSome: db.prepare(
        'DELETE FROM journal WHERE id IN (SELECT id FROM journal WHERE id <= ? ORDER BY id LIMIT 16)',
      ),
    };
    this.#adopt();
  }

  /**
   * Before the first append: ids continue above the store's mark (a journal file deleted or
   * replaced by hand must not start again below it); batches that an older version left in
   * the store's own `journal` table move here with their ids, to be replayed like any other
   * (moved twice after a crash in between, they are still there once); and entries already
   * counted, which a crash right after a count left behind, go.
   */
  #adopt(): void {
    const mark = this.#store.journalMark();
    this.db.transaction(() => {
      const seq = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'journal'").pluck().get() as
        | number
        | undefined;
      if (seq === undefined)
        this.db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('journal', ?)").run(mark);
      else if (seq < mark)
        this.db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'journal'").run(mark);
      for (const { id, events } of this.#store.takeLegacyJournal()) this.#stmt.adoptLegacy.run(id, events);
    })();
    this.#store.clearLegacyJournal();
    this.deleteCounted();
  }

  /**
   * Deletes every entry the store has counted, at once. Entries carry visitor hashes: the
   * maintenance job calls this before it truncates the WAL, so that none outlives its salt
   * even when a crash interrupted the deletion that follows each count.
   */
  deleteCounted(): void {
    this.db.prepare('DELETE FROM journal WHERE id <= ?').run(this.#store.journalMark());
  }

  /** One row per acknowledged batch: one statement, whatever the batch's size. */
  async append(events: readonly Committable[]): Promise<number> {
    return Number(this.#stmt.append.run(encodeEvents(events)).lastInsertRowid);
  }

  async pending(): Promise<{ id: number; event: Committable }[]> {
    return decodeEntries(this.pendingRows());
  }

  /**
   * The entries beyond the mark (and beyond `after`) as stored, oldest first, at most `limit`:
   * the count thread, which cannot open this file, is sent them a page at a time.
   */
  pendingRows(after = 0, limit = -1): JournalRow[] {
    return this.#stmt.afterPage.all(Math.max(after, this.#store.journalMark()), limit) as JournalRow[];
  }

  /** The count, with the mark, in the store's transaction; then the counted entries leave the journal. */
  async commitThrough(batch: BatchResult, now: number, through: number): Promise<void> {
    await this.#store.commitCounted(batch, now, through);
    await this.deleteThrough(through);
  }

  /**
   * Deletes the entries up to `through` (counted), a few batches at a time, yielding in
   * between: `secure_delete` rewrites every page it frees.
   */
  async deleteThrough(through: number): Promise<void> {
    await yieldToIo();
    while (this.db.open && this.#stmt.deleteSome.run(through).changes > 0) await yieldToIo();
  }

  checkpoint(): void {
    truncateWal(this.db);
  }

  close(): void {
    if (this.db.open) {
      this.checkpoint();
      this.db.close();
    }
  }
}

/** Another collector holds the journal: an operator's error to report as it is, not a crash. */
export class JournalLockedError extends Error {}

/** A connection in rollback-journal mode, unsynced: see the module comment. */
function openRollbackConnection(path: string, lockedWaitMs: number): Database.Database {
  let db = new Database(path, { timeout: Math.min(5000, lockedWaitMs) });
  const state = journalState(db, lockedWaitMs);
  if (state === 'locked') {
    db.close();
    throw new JournalLockedError(
      `the journal ${path} is held by another glimt serve on the same database: stop that one first`,
    );
  }
  if (state === 'damaged') {
    // Unsynced, the file can be left damaged by a crash of the machine (not of the process):
    // what it held is lost, as `normal` allows, and Glimt starts with an empty journal rather
    // than not at all. It is deleted, not kept aside: its entries carry visitor hashes.
    db.close();
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    console.error(`glimt: the journal ${path} was damaged (a crash of the machine?) and was started over`);
    db = new Database(path);
  }
  // TRUNCATE: the rollback journal (old page images, hashes among them) is cut to nothing after each append.
  db.pragma('journal_mode = TRUNCATE');
  // This connection is the file's only one (the count thread is sent what it must read): it
  // keeps its lock, and an append skips taking and dropping it and checking whether another
  // changed the file (24 → 14 µs per append, measured alone).
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('synchronous = OFF');
  db.pragma('secure_delete = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * Whether the journal can be read: `locked` while another collector holds it (its connection
 * keeps an exclusive lock), which is not damage: that journal is live, and is left alone.
 */
function journalState(db: Database.Database, lockedWaitMs: number): 'intact' | 'damaged' | 'locked' {
  const giveUp = Date.now() + lockedWaitMs;
  for (;;) {
    try {
      return db.pragma('quick_check', { simple: true }) === 'ok' ? 'intact' : 'damaged';
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      // "file is not a database", "database disk image is malformed"
      if (!code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED')) return 'damaged';
      // Each try waits the connection's busy timeout (up to 5 s); a collector that is draining
      // lets go within about 20 s.
      if (Date.now() >= giveUp) return 'locked';
    }
  }
}
