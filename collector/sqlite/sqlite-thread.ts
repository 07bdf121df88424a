/**
 * @module A side thread of the store: counts and WAL checkpoints, or stats queries, off the
 * event loop. The store runs two (`openSqliteStore`): a writer and a reader.
 *
 * Three kinds of SQLite work would otherwise stop every request for their duration:
 * - **Counts** of an `InlineCounter` on a database file (tests; the collector counts on a
 *   thread of its own, `count-thread.ts`): a count writes thousands of rows in one
 *   transaction (`sqlite-count.ts`); the writer thread writes them on a connection of its
 *   own, and the event loop only builds the rows. The store sends no other write while one runs.
 * - **Checkpoints** (`checkpoints.ts`), where no count thread does them (the CLI, tests): the
 *   writer thread checkpoints each file it is given about once a second. With a count thread
 *   (the collector), the writer thread starts only if a count is sent to it.
 * - **Stats queries.** A year's filtered breakdown reads millions of visit-grain rows
 *   (seconds); on the event loop, acknowledgements would wait for it, and on the writer
 *   thread, counts would. The reader thread runs them on a read-only connection of its own,
 *   and sees what counts have committed.
 *
 * The worker is a few lines of CommonJS evaluated as they are, plus the sources of
 * `runCountStep` and `startCheckpoints`: it needs better-sqlite3 and nothing else of Glimt's.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CHECKPOINT_EVERY_MS, RESTART_EVERY, startCheckpoints } from './checkpoints.ts';
import { type CountStep, LABEL_CACHE_MAX, runCountStep } from './sqlite-count.ts';

/**
 * Worker source that gives its thread `workerData.nice` (Linux): the thread then yields the CPU
 * to the event loop's, which requests wait for. A nice value set through a thread id applies to
 * that thread only (setpriority(2), NOTES); elsewhere the thread runs at the process's priority.
 */
export const NICE_THIS_THREAD = `
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (workerData.nice && tid > 0) require('node:os').setPriority(tid, workerData.nice);
} catch {}
`;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
var __name = (f) => f; // what a TypeScript transform may wrap named functions in
${NICE_THIS_THREAD}
const runCountStep = ${runCountStep.toString()};
let counter;
let reader;
const statements = new Map();
const countCache = { statements: new Map(), labels: new Map() };
const countConnection = () => {
  if (!counter) {
    counter = new Database(workerData.path, { fileMustExist: true });
    for (const pragma of workerData.pragmas) counter.pragma(pragma);
  }
  return counter;
};
const startCheckpoints = ${startCheckpoints.toString()};
const stopCheckpoints = startCheckpoints(
  (path) => new Database(path, { fileMustExist: true }),
  workerData.checkpoint,
  workerData.everyMs,
  workerData.restartEvery,
  () => counter?.inTransaction === true,
);
const reason = (error) => String(error && error.message ? error.message : error);
const answer = (id, work) => {
  try {
    parentPort.postMessage({ id, rows: work() });
  } catch (error) {
    parentPort.postMessage({ id, error: reason(error) });
  }
};
parentPort.on('message', (message) => {
  if (message.close) {
    stopCheckpoints();
    reader?.close();
    counter?.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  if (message.clearLabels) {
    countCache.labels.clear();
    return;
  }
  if (message.step) {
    const run = () => {
      runCountStep(countConnection(), message.step, countCache, workerData.labelCacheMax);
      return [];
    };
    // A commit or a rollback is answered; a failure before it is kept for the commit to report.
    if (message.id !== undefined) answer(message.id, run);
    else {
      try {
        run();
      } catch (error) {
        countCache.failed ??= reason(error);
      }
    }
    return;
  }
  answer(message.id, () => {
    if (!reader) {
      reader = new Database(workerData.path, { readonly: true, fileMustExist: true });
      reader.pragma('busy_timeout = 5000');
    }
    let statement = statements.get(message.sql);
    if (!statement) {
      statement = reader.prepare(message.sql);
      statements.set(message.sql, statement);
    }
    return statement.all(...message.params);
  });
});
`;

/**
 * What every side thread of Glimt's is given to start with (both this module's and the count
 * thread's): the path of better-sqlite3 to `require` (evaluated code has no module of its own to
 * resolve from), and its nice value (Linux): counts and queries run when the event loop leaves
 * a core to them.
 */
export function threadBasics(): { driver: string; nice: number } {
  return { driver: createRequire(import.meta.url).resolve('better-sqlite3'), nice: 10 };
}

interface Waiting {
  resolve: (rows: unknown[]) => void;
  reject: (error: Error) => void;
}

interface Query extends Waiting {
  message: { sql: string; params: readonly unknown[] };
}

export class SqliteThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #next = 0;
  #exited = false;

  /**
   * Reads `path`, and writes counts there through a connection set up with `pragmas`;
   * checkpoints `checkpoint` (the store's file, and its journal's). `onError`: the thread
   * died; queries and counts then fail (the journal keeps what was acknowledged), and the WAL
   * files grow until the maintenance job truncates them.
   */
  constructor(options: {
    path: string;
    pragmas: readonly string[];
    checkpoint: readonly string[];
    onError: (error: Error) => void;
    everyMs?: number;
  }) {
    const { path, pragmas, checkpoint, onError, everyMs = CHECKPOINT_EVERY_MS } = options;
    this.#worker = new Worker(WORKER, {
      eval: true,
      // The thread's own V8 heap holds a count's rows for a moment, and query results: a small
      // young generation keeps its memory near that (RSS +15 MB instead of +50 at 5k events/s).
      resourceLimits: { maxYoungGenerationSizeMb: 1 },
      workerData: {
        path,
        pragmas,
        checkpoint,
        everyMs,
        restartEvery: RESTART_EVERY,
        labelCacheMax: LABEL_CACHE_MAX,
        ...threadBasics(),
      },
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

  /**
   * The rows of a read-only statement, run on the thread. Quick ones (the rollups, milliseconds)
   * are sent at once; slow ones (the visit grain, up to seconds) one at a time, so that a quick
   * one waits for one slow part at most: a dashboard asks for its top numbers together with
   * filtered breakdowns, and the numbers should not wait for all of those.
   */
  all<T>(sql: string, params: readonly unknown[], slow = false): Promise<T[]> {
    if (!slow) return this.#call({ sql, params }) as Promise<T[]>;
    return new Promise<unknown[]>((resolve, reject) => {
      this.#slowQueries.push({ message: { sql, params }, resolve, reject });
      this.#nextSlow();
    }) as Promise<T[]>;
  }

  readonly #slowQueries: Query[] = [];
  #slowRunning = false;

  #nextSlow(): void {
    if (this.#slowRunning) return;
    const query = this.#slowQueries.shift();
    if (!query) return;
    this.#slowRunning = true;
    this.#call(query.message)
      .then(query.resolve, query.reject)
      .finally(() => {
        this.#slowRunning = false;
        this.#nextSlow();
      });
  }

  #call(message: object): Promise<unknown[]> {
    if (this.#exited) return Promise.reject(new Error('the SQLite side thread has stopped'));
    const id = ++this.#next;
    return new Promise<unknown[]>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...message });
    });
  }

  /** A step of a count on the thread's writing connection (`sqlite-count.ts`); a commit resolves once committed. */
  async step(step: CountStep): Promise<void> {
    if ('commit' in step || 'rollback' in step) await this.#call({ step });
    else if (!this.#exited) this.#worker.postMessage({ step });
  }

  /** Whether the thread has stopped (an uncaught error, or `close`). */
  get exited(): boolean {
    return this.#exited;
  }

  /** Labels were deleted elsewhere (retention, a removed site): the count's cached ids may be gone. */
  clearLabels(): void {
    if (!this.#exited) this.#worker.postMessage({ clearLabels: true });
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
