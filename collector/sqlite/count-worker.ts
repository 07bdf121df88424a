/**
 * @module The count thread's own code: an `InlineCounter` on connections of its own.
 *
 * `count-thread.ts` bundles this module (esbuild) and evaluates it in a worker thread, which
 * calls `start`. The thread receives each journaled batch as the journal's own JSON, keeps
 * the visitor states and the open count in its own heap, and writes each count in one
 * transaction with `runCountStep`, without slicing: nothing waits on this thread's loop.
 * It answers with what it counted; the event loop then deletes those journal entries (it is
 * the journal's only writer).
 */
import type { MessagePort } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { BatchResult } from '../core/aggregate/aggregate-batch.ts';
import { type CountOptions, InlineCounter } from '../core/commit/counter.ts';
import type { Committable } from '../core/pipeline/collected-event.ts';
import type { Journal } from '../core/store.ts';
import { RESTART_EVERY, startCheckpoints } from './checkpoints.ts';
import { decodeEntries, type JournalRow } from './journal-entries.ts';
import { type CountCache, countChunks, loadStates, READ_SQL, runCountStep } from './sqlite-count.ts';
import { batchMonth, LABEL_SQL } from './visit-grain.ts';

export interface CountWorkerData {
  /** The store's file. */
  path: string;
  /** WAL files this thread checkpoints (`checkpoints.ts`): the store's, and the journal's in `full`. */
  checkpoint: readonly string[];
  checkpointEveryMs: number;
  /** The settings of the store's writing connections. */
  pragmas: readonly string[];
  labelCacheMax: number;
  options: CountOptions;
}

/** One journaled batch: its journal JSON, its journal id, the event loop's clock then, its size. */
export interface AddBatch {
  add: string;
  through: number;
  now: number;
  events: number;
}

/** Event loop → count thread. Ids pair a request with its answer. */
export type ToCountThread =
  | { adds: AddBatch[] }
  | { count: number }
  | { hold: number }
  | { release: true }
  | { forget: [siteId: number, day: number] }
  | { clearLabels: true }
  | { close: true }
  | { entries: number; rows: JournalRow[] }
  | { entries: number; error: string };

/** Count thread → event loop. */
export type FromCountThread =
  | { ready: { events: number; through: number } }
  | { counted: { through: number; events: number } }
  | { done: number }
  | { held: number }
  | { failed: string }
  | { closed: true }
  | { pending: number; after: number; limit: number };

/** Journal entries (acknowledged batches) read per request when the thread replays the journal. */
const READ_PAGE = 32;

/** Runs the count thread: recovers what the journal holds beyond the mark, then counts what it is sent. */
export function start(Driver: typeof Database, port: MessagePort, data: CountWorkerData): void {
  const post = (message: FromCountThread) => port.postMessage(message);
  const db = new Driver(data.path, { fileMustExist: true });
  for (const pragma of data.pragmas) db.pragma(pragma);
  const stmt = {
    loadVisitor: db.prepare(READ_SQL.visitorState).pluck(),
    mark: db.prepare(READ_SQL.mark).pluck(),
  };
  // The journal's entries beyond the mark are read by the event loop, the file's only connection.
  const reads = new Map<number, { resolve: (rows: JournalRow[]) => void; reject: (error: Error) => void }>();
  let nextRead = 0;
  const cache: CountCache = { statements: new Map(), labels: new Map() };
  const labelSql = { upsert: LABEL_SQL.upsert, find: LABEL_SQL.find };
  /** The count's `now` (a visitor's last_seen): the time of the latest batch, as the event loop's clock had it. */
  let now = Date.now();

  const journal: Journal = {
    append: () => Promise.reject(new Error('the count thread does not append')),
    pending: async () => {
      // A page at a time: a backlog of 100k events is ~50 MB of JSON, which the event loop
      // would otherwise read and copy in one turn (~90 ms).
      const rows: JournalRow[] = [];
      for (;;) {
        const id = ++nextRead;
        const page = await new Promise<JournalRow[]>((resolve, reject) => {
          reads.set(id, { resolve, reject });
          post({ pending: id, after: rows[rows.length - 1]?.id ?? 0, limit: READ_PAGE });
        });
        rows.push(...page);
        if (page.length < READ_PAGE) return decodeEntries(rows);
      }
    },
    commitThrough: async (batch: BatchResult, at: number, through: number) => {
      const month = batchMonth(batch.deltas);
      runCountStep(db, { begin: true }, cache, data.labelCacheMax);
      const whole = { ms: Number.POSITIVE_INFINITY, catchUp: false };
      for (const rows of countChunks(batch, at, through, whole)) {
        runCountStep(db, { rows, month, labelSql }, cache, data.labelCacheMax);
      }
      runCountStep(db, { commit: true }, cache, data.labelCacheMax);
    },
  };
  const store = { loadVisitors: async (hashes: readonly string[]) => loadStates(stmt.loadVisitor, hashes) };
  // Counts here are synchronous: a checkpoint never finds this thread's count in its transaction.
  const stopCheckpoints = startCheckpoints(
    (file) => new Driver(file, { fileMustExist: true }),
    data.checkpoint,
    data.checkpointEveryMs,
    RESTART_EVERY,
    () => false,
  );
  const counter = new InlineCounter(
    store,
    journal,
    () => now,
    data.options,
    (through, events) => post({ counted: { through, events } }),
  );

  // Ready once what the journal holds beyond the mark is counted; until then, tried again.
  const recover = (): Promise<void> =>
    counter.recover().then(
      (events) => post({ ready: { events, through: stmt.mark.get() as number } }),
      async (error) => {
        post({ failed: `counting what the journal holds: ${reason(error)}; trying again` });
        await new Promise((resolve) => setTimeout(resolve, data.options.countEveryMs));
        return recover();
      },
    );
  // Messages are handled in order: each waits for the one before (an add loads states first).
  let chain: Promise<unknown> = recover();
  let release: (() => void) | undefined;
  const then = (work: () => unknown) => {
    chain = chain.then(work).catch((error) => post({ failed: reason(error) }));
  };
  port.on('message', (message: ToCountThread) => {
    if ('entries' in message) {
      // Not queued: the work in progress waits for these.
      const read = reads.get(message.entries);
      reads.delete(message.entries);
      if ('rows' in message) read?.resolve(message.rows);
      else read?.reject(new Error(`reading the journal: ${message.error}`));
    } else if ('adds' in message) {
      then(async () => {
        for (const batch of message.adds) {
          now = batch.now;
          await counter.add(JSON.parse(batch.add) as Committable[], batch.through);
        }
      });
    } else if ('count' in message) {
      then(() => counter.count().then(() => post({ done: message.count })));
    } else if ('hold' in message) {
      // Held until `release`: the maintenance job writes meanwhile, on the event loop's connections.
      then(() => {
        void counter.exclusive(
          () =>
            new Promise<void>((resolve) => {
              release = resolve;
              post({ held: message.hold });
            }),
        );
      });
    } else if ('release' in message) {
      release?.();
      release = undefined;
    } else if ('forget' in message) {
      counter.forgetBefore(...message.forget);
    } else if ('clearLabels' in message) {
      cache.labels.clear();
    } else if ('close' in message) {
      then(async () => {
        await counter.count();
        stopCheckpoints();
        db.close();
        post({ closed: true });
      });
    }
  });
}

function reason(error: unknown): string {
  return String(error instanceof Error ? error.message : error);
}
