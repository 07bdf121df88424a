/**
 * @module Counting on a thread of its own: the Node collector's `Counter` for a database file.
 *
 * Each journaled batch goes to the thread as the JSON the journal stored; the thread
 * sessionises it, keeps the visitor states and the open count in its own heap, and writes
 * each count in one transaction on a connection of its own (`count-worker.ts`). Measured at
 * 5k events/s (bench/README.md): with the states, counts and rows in the event loop's heap, V8
 * marked and compacted it every second or two, in 5–16 ms pauses that made the 99th
 * percentile; the event loop's heap now only holds what a request makes and drops.
 *
 * The thread's code is `count-worker.ts` and what it imports, bundled by esbuild when the
 * first counter starts (tens of ms) and evaluated as a worker's source text.
 *
 * If the thread dies, it is started again: it counts what the journal holds beyond the
 * mark, and is then sent only the batches that came after what it read.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildSync, stop } from 'esbuild';
import type { Counter, CountOptions } from '../core/commit/counter.ts';
import type { Committable } from '../core/pipeline/collected-event.ts';
import type { Clock } from '../core/ports.ts';
import { CHECKPOINT_EVERY_MS } from './checkpoints.ts';
import type { AddBatch, CountWorkerData, FromCountThread, ToCountThread } from './count-worker.ts';
import { encodeEvents, type JournalRow } from './journal-entries.ts';
import { LABEL_CACHE_MAX } from './sqlite-count.ts';
import { NICE_THIS_THREAD, threadBasics } from './sqlite-thread.ts';

let bundled: string | undefined;

/**
 * `count-worker.ts` and its imports as one script that defines `glimtCountWorker`. It may
 * import nothing from outside (a package, a file found through `import.meta.url`): evaluated
 * as text, it would look for those from the working directory. The build refuses them.
 */
function workerSource(): string {
  if (bundled) return workerScript(bundled);
  const result = buildSync({
    entryPoints: [fileURLToPath(new URL('./count-worker.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'glimtCountWorker',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
    metafile: true,
  });
  // esbuild keeps a service (a thread and a child process, ~25 MB) for the next build: there is none.
  stop();
  const outside = Object.values(result.metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((imported) => imported.external && !imported.path.startsWith('node:'))
    .map((imported) => imported.path);
  const source = result.outputFiles[0]?.text;
  if (outside.length > 0 || source === undefined || /import[._]meta/.test(source)) {
    throw new Error(`the count thread's code must import nothing from outside (${outside.join(', ')})`);
  }
  bundled = source;
  return workerScript(source);
}

function workerScript(bundle: string): string {
  return `
const { parentPort, workerData } = require('node:worker_threads');
${NICE_THIS_THREAD}
${bundle}
glimtCountWorker.start(require(workerData.driver), parentPort, workerData);
`;
}

export interface CountThreadOptions {
  path: string;
  /** WAL files the thread checkpoints, about once a second (`checkpoints.ts`). */
  checkpoint: readonly string[];
  /** The journal's entries beyond the mark and `after`, at most `limit` (the thread reads none of the journal itself). */
  pendingRows: (after: number, limit: number) => JournalRow[];
  pragmas: readonly string[];
  options: CountOptions;
  clock: Clock;
  /** The thread counted the journal through this entry: its entries up to it can go. */
  onCounted: (through: number) => void;
  log: (line: string) => void;
}

/**
 * Batches go to the thread together, this long after the first of them at most (or at once
 * when this many wait, or before any request): one message per acknowledged batch cost both
 * threads more than the batches' work when batches are small (a few events each at 5k/s).
 */
const SEND_EVERY_MS = 5;
const SEND_AT_BATCHES = 64;

interface Request {
  kind: 'count' | 'hold';
  resolve: () => void;
}

export class ThreadCounter implements Counter {
  readonly #options: CountThreadOptions;
  #worker!: Worker;
  #ready = false;
  #readyWaiters: (() => void)[] = [];
  #recovered = 0;
  /** Batches added while no thread was ready: sent once one is, unless its recovery read them. */
  #unsent: AddBatch[] = [];
  /** Batches for the ready thread, not yet posted (`SEND_EVERY_MS`). */
  #outbox: AddBatch[] = [];
  #sendTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #requests = new Map<number, Request>();
  #next = 0;
  /** Events sent and not yet reported counted. */
  #uncounted = 0;
  #closing = false;
  #exclusive: Promise<unknown> = Promise.resolve();
  /** An exclusive task runs: the thread is held. */
  #holding = false;
  /** The current thread has exited. */
  #exited = false;

  constructor(options: CountThreadOptions) {
    this.#options = options;
    this.#start();
  }

  /** The thread now counting (tests stop it, to see counting survive that). */
  get thread(): Worker {
    return this.#worker;
  }

  get behind(): boolean {
    return this.#uncounted >= this.#options.options.refuseAtEvents;
  }

  #start(): void {
    const { path, checkpoint, pragmas, options } = this.#options;
    const data: CountWorkerData & ReturnType<typeof threadBasics> = {
      path,
      checkpoint,
      checkpointEveryMs: CHECKPOINT_EVERY_MS,
      pragmas,
      labelCacheMax: LABEL_CACHE_MAX,
      options,
      ...threadBasics(),
    };
    const worker = new Worker(workerSource(), {
      eval: true,
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    this.#worker = worker;
    worker.on('message', (message: FromCountThread) => this.#receive(message, worker));
    worker.on('error', (error) => this.#options.log(`the count thread failed: ${error.message}`));
    this.#exited = false;
    worker.once('exit', () => {
      if (this.#worker === worker) this.#exited = true;
      if (this.#closing || this.#worker !== worker) return;
      // Counting goes on: a new thread counts what the journal holds, then what comes next.
      // One that died young (it could not open the files?) is not restarted at once, again and again.
      const wasReady = this.#ready;
      this.#ready = false;
      // Not posted to the thread that died: the next one gets them, unless its recovery reads them.
      this.#unsent = [...this.#outbox.splice(0), ...this.#unsent];
      this.#options.log('the count thread stopped; starting another');
      setTimeout(
        () => {
          if (!this.#closing) this.#start();
        },
        wasReady ? 0 : 1000,
      ).unref();
    });
    // Referenced until it is ready (a start waits for its recovery), then only while answers are awaited.
  }

  /** `from`: the thread that sent it (a reply goes to it, not to one started since). */
  #receive(message: FromCountThread, from: Worker): void {
    if ('counted' in message) {
      this.#uncounted = Math.max(0, this.#uncounted - message.counted.events);
      this.#options.onCounted(message.counted.through);
    } else if ('done' in message || 'held' in message) {
      const id = 'done' in message ? message.done : message.held;
      const request = this.#requests.get(id);
      this.#requests.delete(id);
      if (this.#requests.size === 0 && this.#ready) this.#worker.unref();
      request?.resolve();
    } else if ('ready' in message) {
      if (from !== this.#worker) return;
      this.#ready = true;
      this.#recovered = message.ready.events;
      // What the recovery read is counted; everything after it goes now, in order.
      const unsent = this.#unsent.filter((m) => m.through > message.ready.through);
      this.#unsent = [];
      this.#uncounted = 0;
      for (const m of unsent) this.#send(m);
      this.#flush();
      for (const [id, request] of this.#requests) this.#worker.postMessage({ [request.kind]: id });
      if (this.#requests.size === 0) this.#worker.unref();
      for (const wake of this.#readyWaiters.splice(0)) wake();
    } else if ('pending' in message) {
      // A read that fails fails the thread's recovery, which it tries again.
      let answer: ToCountThread;
      try {
        answer = { entries: message.pending, rows: this.#options.pendingRows(message.after, message.limit) };
      } catch (error) {
        answer = { entries: message.pending, error: (error as Error).message };
      }
      from.postMessage(answer);
    } else if ('failed' in message) {
      this.#options.log(`a count failed: ${message.failed}`);
    }
  }

  #send(batch: AddBatch): void {
    this.#uncounted += batch.events;
    this.#outbox.push(batch);
    if (this.#outbox.length >= SEND_AT_BATCHES) this.#flush();
    else this.#sendTimer ??= setTimeout(() => this.#flush(), SEND_EVERY_MS).unref();
  }

  /** Posts the batches waiting in the outbox; before any other message, so that order holds. */
  #flush(): void {
    clearTimeout(this.#sendTimer);
    this.#sendTimer = undefined;
    if (this.#outbox.length === 0 || !this.#ready) return;
    this.#worker.postMessage({ adds: this.#outbox } satisfies ToCountThread);
    this.#outbox = [];
  }

  async add(events: readonly Committable[], through: number): Promise<void> {
    const message = { add: encodeEvents(events), through, now: this.#options.clock(), events: events.length };
    if (this.#ready) this.#send(message);
    else {
      // Waiting for a thread: held here, and counted as uncounted, so that too many are refused.
      this.#unsent.push(message);
      this.#uncounted += message.events;
    }
  }

  #request(kind: Request['kind']): Promise<void> {
    const id = ++this.#next;
    return new Promise<void>((resolve) => {
      if (this.#requests.size === 0) this.#worker.ref();
      this.#requests.set(id, { kind, resolve });
      if (this.#ready) {
        this.#flush();
        this.#worker.postMessage({ [kind]: id });
      }
    });
  }

  count(): Promise<void> {
    return this.#request('count');
  }

  async recover(): Promise<number> {
    if (!this.#ready) await new Promise<void>((resolve) => this.#readyWaiters.push(resolve));
    return this.#recovered;
  }

  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#exclusive.then(async () => {
      await this.#request('hold');
      this.#holding = true;
      try {
        return await task();
      } finally {
        this.#holding = false;
        this.#post({ release: true });
      }
    });
    this.#exclusive = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves once the thread is between counts, and holds it there until the returned
   * function is called: for the event loop's own writes to the store, which would otherwise
   * wait for a count's lock inside SQLite, holding up every request (a 40k-event count: 1–1.5 s).
   * Within an exclusive task (the thread is held already), at once.
   */
  async between(): Promise<() => void> {
    if (this.#holding || this.#closing) return () => {};
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await new Promise<void>((held) => {
      void this.exclusive(() => {
        held();
        return released;
      });
    });
    return release;
  }

  forgetBefore(siteId: number, day: number): void {
    this.#post({ forget: [siteId, day] });
  }

  clearLabels(): void {
    this.#post({ clearLabels: true });
  }

  #post(message: ToCountThread): void {
    this.#flush();
    if (this.#ready) this.#worker.postMessage(message);
  }

  /**
   * Counts what it was sent, closes the thread's connections, and stops it; after `waitMs` it
   * stops it anyway (what is not counted stays in the journal for the next start).
   */
  async close(waitMs = 10_000): Promise<void> {
    this.#closing = true;
    if (this.#exited) return;
    const worker = this.#worker;
    worker.ref();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      worker.on('message', (message: FromCountThread) => {
        if ('closed' in message) resolve();
      });
      worker.once('exit', () => resolve());
      timer = setTimeout(() => {
        this.#options.log(
          'the count thread did not finish in time; the journal keeps what it had not counted',
        );
        resolve();
      }, waitMs);
      this.#flush();
      worker.postMessage({ close: true } satisfies ToCountThread);
    });
    clearTimeout(timer);
    await worker.terminate();
  }
}
