/**
 * @module WAL checkpoints off the event loop, on the thread that writes counts.
 *
 * SQLite checkpoints a WAL on the connection that happens to commit when it passes 1000
 * pages: that commit then copies the pages into the database and syncs both files, tens of
 * milliseconds. Automatic checkpoints are off on the collector's connections
 * (`wal_autocheckpoint = 0`); the thread that writes counts checkpoints each file instead,
 * about once a second (https://www.sqlite.org/wal.html#automatic_checkpoint): the count
 * thread (`count-worker.ts`), or the store's side thread where no count thread runs.
 *
 * `startCheckpoints` is self-contained: the store's side thread evaluates its source text.
 */
import type Database from 'better-sqlite3';

/** How often a thread checkpoints its files (ms). */
export const CHECKPOINT_EVERY_MS = 1000;

/** Every how many rounds (seconds) a RESTART checkpoint lets the WAL files start over. */
export const RESTART_EVERY = 5;

/**
 * Checkpoints `paths` every `everyMs`, through connections of its own that `open` makes,
 * skipping a round while `busy()` (the thread's own count holds the write lock: a checkpoint
 * would only wait for itself). Returns the function that stops it and closes them.
 */
export function startCheckpoints(
  open: (path: string) => Database.Database,
  paths: readonly string[],
  everyMs: number,
  restartEvery: number,
  busy: () => boolean,
): () => void {
  const connections = new Map<string, Database.Database>();
  // Connections of their own that give up after 100 ms: a RESTART takes the write lock while
  // it waits for readers (another process's, say), and the store's writes must not wait for it
  // longer than that.
  const connection = (path: string) => {
    let db = connections.get(path);
    if (!db) {
      db = open(path);
      db.pragma('busy_timeout = 100');
      db.pragma('cache_size = -64'); // it reads no table: 64 KiB, not the default 2 MB
      connections.set(path, db);
    }
    return db;
  };
  let round = 0;
  const checkpoint = () => {
    // Mostly PASSIVE. Every few rounds RESTART: a WAL restarts from its beginning only when a
    // writer finds it wholly checkpointed, which a file written hundreds of times a second
    // never is at the right moment; RESTART waits (on this thread) for a gap between writes,
    // checkpoints, and holds writers for that moment so that the next one starts the log over.
    if (busy()) return;
    const mode = ++round % restartEvery === 0 ? 'RESTART' : 'PASSIVE';
    for (const path of paths) {
      try {
        connection(path).pragma(`wal_checkpoint(${mode})`);
      } catch {
        // not there yet, busy or locked: the next round takes it
      }
    }
  };
  // A thread with no file to checkpoint keeps no timer.
  const timer = paths.length > 0 ? setInterval(checkpoint, everyMs) : undefined;
  return () => {
    clearInterval(timer);
    for (const db of connections.values()) db.close();
    connections.clear();
  };
}
