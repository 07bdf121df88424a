/**
 * @module Group commit: acknowledge fast and durably, count in large batches.
 *
 * Two kinds of transaction, so that the one a request waits for is small:
 *
 * 1. **Acknowledge.** Events that arrive within one turn of the event loop are appended
 *    to the journal in one transaction; then each request gets its 202. An append touches
 *    a few pages at the journal's end, whatever the events are.
 * 2. **Count.** Each journaled batch then goes to a `Counter` (`counter.ts`), which
 *    sessionises it into an open count in memory and writes that count, with the journal's
 *    mark, about once a second. On Node it does that on a thread of its own.
 *
 * The queue is bounded: past `maxQueue` waiting events, or while counting has fallen behind,
 * `submit` refuses and the caller answers 503.
 */
import type { Committable } from '../pipeline/collected-event.ts';
import type { Clock } from '../ports.ts';
import type { Journal, Store } from '../store.ts';
import { type Counter, type CountOptions, InlineCounter } from './counter.ts';

export interface GroupCommitOptions extends CountOptions {
  /** Events in one acknowledging transaction at most. */
  maxBatch: number;
  /** Events waiting at most; beyond, `submit` answers `overloaded`. */
  maxQueue: number;
  /**
   * How long the first event of a batch waits for company, ms. 0 (the default) acknowledges
   * right after the current turn of the event loop: every request that arrived in it shares
   * the transaction, and under load a batch forms while the previous one commits.
   */
  delayMs: number;
}

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = {
  maxBatch: 4000,
  maxQueue: 50_000,
  delayMs: 0,
  countEveryMs: 1000,
  // A count holds every visitor state it touches until it is written: under overload, 50k
  // events per count peaked RSS ~15-20 MB higher than 10k, for ~5 % more throughput (bench/README.md).
  countAtEvents: 10_000,
  // About 20 s of 5k events/s: a count held by the maintenance job at midnight, or waiting for
  // another process's write (busy_timeout, 5 s), refuses nothing; a count that cannot keep up does.
  refuseAtEvents: 100_000,
  cacheSize: 5_000,
};

/** Node's setImmediate runs after the I/O that is ready now; elsewhere setTimeout(0) does the same. */
const afterPendingIo: (run: () => void) => void =
  typeof setImmediate === 'function' ? (run) => setImmediate(run) : (run) => setTimeout(run, 0);

interface Waiting {
  event: Committable;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommitter {
  readonly #journal: Journal;
  readonly #options: GroupCommitOptions;
  readonly #counter: Counter;
  #queue: Waiting[] = [];
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #acking: Promise<void> | undefined;

  /**
   * Counts with `counter` when given, else in this thread (`InlineCounter`, on `store`'s
   * visitor states and `journal`'s entries).
   */
  constructor(
    store: Store,
    journal: Journal,
    clock: Clock,
    options: Partial<GroupCommitOptions> = {},
    counter?: Counter,
  ) {
    this.#journal = journal;
    this.#options = { ...DEFAULT_GROUP_COMMIT, ...options };
    this.#counter = counter ?? new InlineCounter(store, journal, clock, this.#options);
  }

  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Resolves once durable (journaled); `'overloaded'` (synchronously) when the queue is full,
   * or when counting has fallen behind (`refuseAtEvents` acknowledged and not counted yet).
   * Acknowledging faster than the rollups can be written would only grow memory without
   * bound (at saturation, ~6 MB/s of heap).
   */
  submit(event: Committable): Promise<void> | 'overloaded' {
    if (this.#queue.length >= this.#options.maxQueue) return 'overloaded';
    if (this.#counter.behind) return 'overloaded';
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * For producers in the same process (seeding, benchmarks): waits while `submit` would refuse,
   * then submits, in order. Resolves to the submit's promise (wrapped: durable once it resolves).
   */
  async submitWhenTaken(event: Committable): Promise<{ durable: Promise<void> }> {
    for (;;) {
      const answer = this.submit(event);
      if (answer !== 'overloaded') return { durable: answer };
      await (this.#acking ?? this.#counter.count());
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Replays what the journal holds beyond the last count (after a crash). Call before serving. */
  recover(): Promise<number> {
    return this.#counter.recover();
  }

  /** Writes everything acknowledged so far to the rollups: a stats query reads its own writes. */
  async settle(): Promise<void> {
    if (this.#acking) await this.#acking;
    await this.#counter.count();
  }

  /** Acknowledges and counts everything waiting, including what arrives meanwhile. For shutdown and tests. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#acking) {
      if (this.#acking) await this.#acking;
      else await this.#acknowledge();
    }
    await this.#counter.count();
  }

  /** Forgets cached states of days before `day` (their hashes are being destroyed). */
  forgetBefore(siteId: number, day: number): void {
    this.#counter.forgetBefore(siteId, day);
  }

  /** Runs `task` between counts, never during one (the maintenance job: it deletes and checkpoints). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.#counter.exclusive(task);
  }

  /** Drains, then stops the counter (its thread, if it has one). */
  async close(): Promise<void> {
    await this.drain();
    await this.#counter.close?.();
  }

  #schedule(): void {
    if (this.#acking) return; // the running acknowledgement reschedules when it ends
    if (this.#queue.length >= this.#options.maxBatch) {
      void this.#acknowledge();
    } else if (this.#options.delayMs === 0) {
      if (this.#scheduled) return;
      this.#scheduled = true;
      afterPendingIo(() => {
        this.#scheduled = false;
        void this.#acknowledge();
      });
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#acknowledge();
      }, this.#options.delayMs);
    }
  }

  #acknowledge(): Promise<void> {
    if (this.#acking) return this.#acking;
    const batch = this.#queue.splice(0, this.#options.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    this.#acking = this.#append(batch).finally(() => {
      this.#acking = undefined;
      if (this.#queue.length > 0) this.#schedule();
    });
    return this.#acking;
  }

  async #append(batch: Waiting[]): Promise<void> {
    const events = batch.map((w) => w.event);
    let through: number;
    try {
      through = await this.#journal.append(events);
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    for (const w of batch) w.resolve();
    // Durable now: from here on a failure loses nothing, because the journal replays.
    await this.#counter.add(events, through);
  }
}
