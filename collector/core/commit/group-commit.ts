/**
 * @module Group commit: events that arrive within a few milliseconds share one transaction.
 *
 * `submit` resolves only after the event's batch is committed, so a 202 means durable.
 * The queue is bounded: past `maxQueue` waiting events, `submit` refuses at once and
 * the caller answers 503 with Retry-After, instead of letting memory grow.
 * Visitor states are cached (bounded, least recently used first out) so that most
 * events need no read; a failed commit evicts what it touched, so memory never runs
 * ahead of storage.
 */
import { aggregateBatch } from '../aggregate/aggregate-batch.ts';
import type { VisitorState } from '../aggregate/visitor-state.ts';
import type { Committable } from '../pipeline/collected-event.ts';
import type { Clock } from '../ports.ts';
import type { Store } from '../store.ts';

export interface GroupCommitOptions {
  /** Events in one transaction at most. */
  maxBatch: number;
  /** Events waiting at most; beyond, `submit` answers `overloaded`. */
  maxQueue: number;
  /**
   * How long the first event of a batch waits for company, ms. 0 (the default) flushes
   * right after the current turn of the event loop: every request that arrived in it
   * shares the transaction, and under load a batch forms while the previous one commits.
   */
  delayMs: number;
  /** Visitor states kept in memory. */
  cacheSize: number;
}

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = {
  maxBatch: 4000,
  maxQueue: 50_000,
  delayMs: 0,
  cacheSize: 100_000,
};

/** Node's setImmediate runs after the I/O that is ready now; Workers has none, and setTimeout(0) does the same there. */
const afterPendingIo: (run: () => void) => void =
  typeof setImmediate === 'function' ? (run) => setImmediate(run) : (run) => setTimeout(run, 0);

interface Waiting {
  event: Committable;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommitter {
  readonly #store: Store;
  readonly #options: GroupCommitOptions;
  readonly #clock: Clock;
  readonly #cache = new Map<string, VisitorState>();
  #queue: Waiting[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #immediate = false;
  #flushing: Promise<void> | undefined;
  #committed = 0;

  constructor(store: Store, clock: Clock, options: Partial<GroupCommitOptions> = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#options = { ...DEFAULT_GROUP_COMMIT, ...options };
  }

  /** Events committed since start. */
  get committed(): number {
    return this.#committed;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Resolves once committed; `'overloaded'` (synchronously) when the queue is full. */
  submit(event: Committable): Promise<void> | 'overloaded' {
    if (this.#queue.length >= this.#options.maxQueue) return 'overloaded';
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      this.#schedule();
    });
  }

  /** Commits everything waiting, including what arrives meanwhile. For shutdown and tests. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing) {
      if (this.#flushing) await this.#flushing;
      else await this.#flush();
    }
  }

  /** Forgets cached states of days before `day` (their hashes are being destroyed). */
  forgetBefore(siteId: number, day: number): void {
    for (const [hash, state] of this.#cache) {
      if (state.siteId === siteId && state.day < day) this.#cache.delete(hash);
    }
  }

  #schedule(): void {
    if (this.#flushing) return; // the running flush reschedules when it ends
    if (this.#queue.length >= this.#options.maxBatch) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#flush();
    } else if (this.#options.delayMs === 0) {
      if (this.#immediate) return;
      this.#immediate = true;
      afterPendingIo(() => {
        this.#immediate = false;
        void this.#flush();
      });
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#flush();
      }, this.#options.delayMs);
    }
  }

  #flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    const batch = this.#queue.splice(0, this.#options.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    this.#flushing = this.#commit(batch).finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0) this.#schedule();
    });
    return this.#flushing;
  }

  async #commit(batch: Waiting[]): Promise<void> {
    const events = batch.map((w) => w.event);
    let touched: Map<string, VisitorState> | undefined;
    try {
      const states = await this.#statesFor(events);
      const result = aggregateBatch(events, states);
      touched = result.touched;
      for (const [hash, state] of touched) this.#remember(hash, state);
      await this.#store.commit(result, this.#clock());
      this.#committed += batch.length;
      for (const w of batch) w.resolve();
    } catch (error) {
      // Memory must not run ahead of storage: what this batch touched is read again next time.
      if (touched) for (const hash of touched.keys()) this.#cache.delete(hash);
      for (const w of batch) w.reject(error);
    }
  }

  async #statesFor(events: Committable[]): Promise<Map<string, VisitorState>> {
    const states = new Map<string, VisitorState>();
    const missing = new Set<string>();
    for (const event of events) {
      if (!('visitor' in event) || states.has(event.visitor)) continue;
      const cached = this.#cache.get(event.visitor);
      if (cached) states.set(event.visitor, cached);
      else missing.add(event.visitor);
    }
    if (missing.size > 0) {
      for (const [hash, state] of await this.#store.loadVisitors([...missing])) states.set(hash, state);
    }
    return states;
  }

  #remember(hash: string, state: VisitorState): void {
    this.#cache.delete(hash); // re-insert: Map order is our recency order
    this.#cache.set(hash, state);
    if (this.#cache.size > this.#options.cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
  }
}
