/**
 * @module Group commit: acknowledge fast and durably, count in large batches.
 *
 * Two kinds of transaction, so that the one a request waits for is small:
 *
 * 1. **Acknowledge.** Events that arrive within one turn of the event loop are appended
 *    to the journal in one transaction; then each request gets its 202. An append touches
 *    a few pages at the journal's end, whatever the events are.
 * 2. **Count.** Meanwhile each event is sessionised into an open batch in memory. About
 *    once a second (or sooner when large, or before a stats query reads) that batch's
 *    rollup deltas, visit grain and visitor states are written, and the journal is marked
 *    counted through its last entry, in one transaction. A rollup row that thousands of
 *    events touch is written once, not once per request. On Node that transaction yields
 *    to the event loop every few milliseconds (the journal is another file, so appends go
 *    on meanwhile); the states it writes stay frozen until it ends, and an event for one of
 *    them works on a copy.
 *
 * After a crash the journal still holds what was acknowledged and not yet counted; `recover`
 * replays it in order against the visitor states of the last count. The queue is bounded:
 * past `maxQueue` waiting events `submit` refuses and the caller answers 503.
 */
import { aggregateInto, type BatchResult } from '../aggregate/aggregate-batch.ts';
import { Deltas } from '../aggregate/cells.ts';
import { cloneState, type VisitorState } from '../aggregate/visitor-state.ts';
import type { Committable } from '../pipeline/collected-event.ts';
import type { Clock } from '../ports.ts';
import type { Journal, Store } from '../store.ts';

export interface GroupCommitOptions {
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
  /** Acknowledged events are counted into the rollups at least this often, ms. */
  countEveryMs: number;
  /** …or as soon as this many are waiting to be counted. */
  countAtEvents: number;
  /** Visitor states kept in memory. */
  cacheSize: number;
}

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = {
  maxBatch: 4000,
  maxQueue: 50_000,
  delayMs: 0,
  countEveryMs: 1000,
  countAtEvents: 50_000,
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

/** Acknowledged events sessionised in memory, not yet written to the rollups. */
interface OpenCount extends BatchResult {
  events: number;
  /** The journal id of the last event in it. */
  through: number;
}

export class GroupCommitter {
  readonly #store: Store;
  readonly #journal: Journal;
  readonly #options: GroupCommitOptions;
  readonly #clock: Clock;
  readonly #cache = new Map<string, VisitorState>();
  #queue: Waiting[] = [];
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #acking: Promise<void> | undefined;
  #open: OpenCount = emptyCount();
  #countTimer: ReturnType<typeof setTimeout> | undefined;
  #counting: Promise<void> = Promise.resolve();
  /**
   * The states of the count being written, which may yield between its statements: they are
   * frozen until it ends. An event for one of them meanwhile works on a copy (`#statesFor`).
   */
  #committing: Map<string, VisitorState> | undefined;
  /** Memory fell behind the journal (a failed count): the next count replays the journal instead. */
  #stale = false;
  /** The journal id of the last event appended. */
  #journaled = 0;

  constructor(store: Store, journal: Journal, clock: Clock, options: Partial<GroupCommitOptions> = {}) {
    this.#store = store;
    this.#journal = journal;
    this.#clock = clock;
    this.#options = { ...DEFAULT_GROUP_COMMIT, ...options };
  }

  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Resolves once durable (journaled); `'overloaded'` (synchronously) when the queue is full,
   * or when counting has fallen behind: a count is being written and the next one is already
   * `countAtEvents` large. Acknowledging faster than the rollups can be written would only
   * grow memory without bound (at saturation, ~6 MB/s of heap).
   */
  submit(event: Committable): Promise<void> | 'overloaded' {
    if (this.#queue.length >= this.#options.maxQueue) return 'overloaded';
    if (this.#committing && this.#open.events >= this.#options.countAtEvents) return 'overloaded';
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
      await (this.#acking ?? this.#counting);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Replays what the journal holds beyond the last count (after a crash). Call before serving. */
  async recover(): Promise<number> {
    return (await this.#countJournal()).events;
  }

  /** Counts every event in the journal; returns how many, and the id of the last. */
  async #countJournal(): Promise<{ events: number; through: number }> {
    const entries = await this.#journal.pending();
    const through = entries[entries.length - 1]?.id ?? 0;
    if (entries.length === 0) return { events: 0, through };
    const events = entries.map((entry) => entry.event);
    const result: BatchResult = { deltas: new Deltas(), touched: new Map() };
    aggregateInto(result, events, await this.#statesFor(events, new Map()));
    await this.#journal.commitThrough(result, this.#clock(), through);
    return { events: entries.length, through };
  }

  /** Writes everything acknowledged so far to the rollups: a stats query reads its own writes. */
  async settle(): Promise<void> {
    if (this.#acking) await this.#acking;
    await this.#count();
  }

  /** Acknowledges and counts everything waiting, including what arrives meanwhile. For shutdown and tests. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#acking) {
      if (this.#acking) await this.#acking;
      else await this.#acknowledge();
    }
    await this.#count();
  }

  /** Forgets cached states of days before `day` (their hashes are being destroyed). */
  forgetBefore(siteId: number, day: number): void {
    for (const [hash, state] of this.#cache) {
      if (state.siteId === siteId && state.day < day) this.#cache.delete(hash);
    }
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
    this.#journaled = through;
    for (const w of batch) w.resolve();
    // Durable now: from here on a failure loses nothing, because the journal replays.
    if (!this.#stale) {
      try {
        const states = await this.#statesFor(events, this.#open.touched);
        aggregateInto(this.#open, events, states);
        for (const [hash, state] of states) this.#remember(hash, state);
        this.#open.events += events.length;
        this.#open.through = through;
      } catch {
        this.#stale = true;
      }
    }
    if (this.#open.events >= this.#options.countAtEvents) void this.#count();
    else this.#countTimer ??= setTimeout(() => void this.#count(), this.#options.countEveryMs);
  }

  /** Writes the open count in one transaction. Counts run one at a time. */
  #count(): Promise<void> {
    this.#counting = this.#counting.then(async () => {
      clearTimeout(this.#countTimer);
      this.#countTimer = undefined;
      if (this.#stale) return this.#replay();
      const open = this.#open;
      if (open.events === 0) return;
      this.#open = emptyCount();
      this.#committing = open.touched;
      try {
        await this.#journal.commitThrough(open, this.#clock(), open.through);
      } catch {
        // The journal still holds these events: memory is now ahead of storage.
        this.#committing = undefined;
        this.#stale = true;
        await this.#replay();
      } finally {
        this.#committing = undefined;
      }
    });
    return this.#counting;
  }

  /** Runs `task` between counts, never during one (the maintenance job: it deletes and checkpoints). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#counting.then(task);
    this.#counting = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Drops memory, which is ahead of storage, and counts the whole journal from the last count. */
  async #replay(): Promise<void> {
    this.#cache.clear();
    this.#open = emptyCount();
    try {
      const { through } = await this.#countJournal();
      // Events acknowledged while stale and after the replay read the journal are not counted yet.
      this.#stale = this.#journaled > through;
      if (this.#stale) this.#countTimer ??= setTimeout(() => void this.#count(), 0);
    } catch {
      // Storage is failing: the journal keeps every acknowledged event; try again later.
      this.#countTimer ??= setTimeout(() => void this.#count(), this.#options.countEveryMs);
    }
  }

  /**
   * The states of the events' visitors: the open count's first (it is ahead of storage), then
   * a copy of one the running count is writing, then the cache, then storage.
   */
  async #statesFor(
    events: readonly Committable[],
    open: Map<string, VisitorState>,
  ): Promise<Map<string, VisitorState>> {
    const states = new Map<string, VisitorState>();
    const missing = new Set<string>();
    for (const event of events) {
      if (!('visitor' in event) || states.has(event.visitor)) continue;
      const frozen = this.#committing?.get(event.visitor);
      const known =
        open.get(event.visitor) ?? (frozen && cloneState(frozen)) ?? this.#cache.get(event.visitor);
      if (known) states.set(event.visitor, known);
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

function emptyCount(): OpenCount {
  return { deltas: new Deltas(), touched: new Map(), events: 0, through: 0 };
}
