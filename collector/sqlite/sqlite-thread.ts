/**
 * @module The store's side thread: stats queries and WAL checkpoints, off the event loop.
 *
 * Two kinds of SQLite work would otherwise stop every request for their duration:
 * - **Stats queries.** A year's filtered breakdown reads millions of visit-grain rows
 *   (seconds); run on the event loop, acknowledgements would wait for it. Here they run on a
 *   read-only connection of the thread's own, and see what counts have committed.
 * - **Checkpoints.** SQLite checkpoints a WAL on the connection that happens to commit when it
 *   passes 1000 pages: that commit then copies the pages into the database and syncs both
 *   files, tens of milliseconds. Automatic checkpoints are off on the collector's connections
 *   (`wal_autocheckpoint = 0`); this thread checkpoints each file it is given, passively (never
 *   waiting for a lock, never blocking a writer), about once a second
 *   (https://www.sqlite.org/wal.html#automatic_checkpoint).
 *
 * The worker is a few lines of CommonJS evaluated as they are: it needs better-sqlite3 and
 * nothing of Glimt's TypeScript.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const writers = new Map();
let reader;
const statements = new Map();
let round = 0;
const checkpoint = () => {
  // Mostly PASSIVE. Every few rounds RESTART: a WAL restarts from its beginning only when a
  // writer finds it wholly checkpointed, which a file written hundreds of times a second never
  // is at the right moment; RESTART waits (here, on this thread) for a gap between writes,
  // checkpoints, and holds writers for that moment so that the next one starts the log over.
  const mode = ++round % workerData.restartEvery === 0 ? 'RESTART' : 'PASSIVE';
  for (const path of workerData.checkpoint) {
    try {
      let db = writers.get(path);
      if (!db) {
        db = new Database(path, { fileMustExist: true });
        db.pragma('busy_timeout = 100');
        writers.set(path, db);
      }
      db.pragma('wal_checkpoint(' + mode + ')');
    } catch {
      // not there yet, busy or locked: the next round takes it
    }
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message.close) {
    clearInterval(timer);
    reader?.close();
    for (const db of writers.values()) db.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  try {
    if (!reader) {
      reader = new Database(workerData.path, { readonly: true, fileMustExist: true });
      reader.pragma('busy_timeout = 5000');
    }
    let statement = statements.get(message.sql);
    if (!statement) {
      statement = reader.prepare(message.sql);
      statements.set(message.sql, statement);
    }
    parentPort.postMessage({ id: message.id, rows: statement.all(...message.params) });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message ? error.message : error) });
  }
});
`;

/** Every how many checkpoint rounds (seconds) a RESTART checkpoint lets the WAL files start over. */
const RESTART_EVERY = 5;

interface Waiting {
  resolve: (rows: unknown[]) => void;
  reject: (error: Error) => void;
}

export class SqliteThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #next = 0;
  #exited = false;

  /**
   * Reads `path`; checkpoints `checkpoint` (the store's file, and its journal's). `onError`:
   * the thread died; queries then fail, and the WAL files grow until the maintenance job
   * truncates them.
   */
  constructor(path: string, checkpoint: readonly string[], onError: (error: Error) => void, everyMs = 1000) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER, {
      eval: true,
      workerData: { path, checkpoint, everyMs, restartEvery: RESTART_EVERY, driver },
    });
    this.#worker.on('message', (message: { id?: number; rows?: unknown[]; error?: string }) => {
      if (message.id === undefined) return;
      const waiting = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      if (this.#waiting.size === 0) this.#worker.unref();
      if (message.error !== undefined) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message.rows ?? []);
    });
    this.#worker.on('error', (error) => {
      this.#failAll(error);
      onError(error);
    });
    this.#worker.once('exit', () => {
      this.#exited = true;
      this.#failAll(new Error('the SQLite side thread has stopped'));
    });
    // Idle, the thread does not keep the process alive; a query waiting for it does.
    this.#worker.unref();
  }

  /** The rows of a read-only statement, run on the thread. */
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    if (this.#exited) return Promise.reject(new Error('the SQLite side thread has stopped'));
    const id = ++this.#next;
    return new Promise<T[]>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve: resolve as (rows: unknown[]) => void, reject });
      this.#worker.postMessage({ id, sql, params });
    });
  }

  /** Stops checkpointing and closes the thread's connections, once its queries have answered. */
  async close(): Promise<void> {
    if (this.#exited) return;
    const closed = new Promise<void>((resolve) => {
      this.#worker.on('message', (message: { closed?: boolean }) => {
        if (message.closed) resolve();
      });
      this.#worker.once('exit', () => resolve());
    });
    this.#worker.ref(); // the process stays until the thread has closed its connections
    this.#worker.postMessage({ close: true });
    await closed;
    await this.#worker.terminate();
  }

  #failAll(error: Error): void {
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}
