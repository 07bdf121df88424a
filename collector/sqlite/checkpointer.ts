/**
 * @module WAL checkpoints on a thread of their own.
 *
 * SQLite checkpoints a WAL file on the connection that happens to commit when it passes
 * 1000 pages: that commit then copies the pages into the database and syncs both files,
 * tens of milliseconds on the event loop, and a request waits behind it. So automatic
 * checkpoints are off (`wal_autocheckpoint = 0`) on the collector's connections, and this
 * worker thread checkpoints every file it is given, passively (never waiting for a lock,
 * never blocking a writer), about once a second, with connections of its own
 * (https://www.sqlite.org/wal.html#automatic_checkpoint).
 *
 * The worker is a few lines of CommonJS evaluated as they are: it needs better-sqlite3
 * and nothing of Glimt's TypeScript.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const dbs = workerData.paths.map((path) => new Database(path, { fileMustExist: true }));
const checkpoint = () => {
  for (const db of dbs) {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // busy or locked: the next round takes it
    }
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  for (const db of dbs) db.close();
  parentPort.postMessage('closed');
});
`;

export class Checkpointer {
  readonly #worker: Worker;
  #exited = false;

  /** `onError`: the thread died (the WAL files then grow until the maintenance job truncates them). */
  constructor(paths: readonly string[], onError: (error: Error) => void, everyMs = 1000) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER, { eval: true, workerData: { paths, everyMs, driver } });
    this.#worker.on('error', onError);
    this.#worker.once('exit', () => {
      this.#exited = true;
    });
    this.#worker.unref();
  }

  /** Stops checkpointing and closes the worker's connections. */
  async close(): Promise<void> {
    if (this.#exited) return;
    const closed = new Promise<void>((resolve) => {
      this.#worker.once('message', () => resolve());
      this.#worker.once('exit', () => resolve());
    });
    this.#worker.postMessage('close');
    await closed;
    await this.#worker.terminate();
  }
}
