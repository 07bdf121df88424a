/**
 * @module The counting half of group commit: journaled events → rollups, in large batches.
 *
 * The group committer (`group-commit.ts`) acknowledges events once the journal holds them,
 * then hands each journaled batch to a `Counter`. A counter sessionises them into an open
 * count in memory and, about once a second (or sooner when large, or before a stats query
 * reads), writes that count's rollup deltas, visit grain and visitor states, and marks the
 * journal counted through its last entry, in one transaction. A rollup row that thousands of
 * events touch is written once, not once per request.
 *
 * `InlineCounter` does that where it is called. On Node with a database file the collector
 * runs one on a thread of its own (`sqlite/count-thread.ts`): its visitor states, open count
 * and rows then live in that thread's heap, and the event loop's garbage collector, which
 * otherwise marked them every second or two (5–16 ms pauses), only sees short-lived objects.
 *
 * After a crash the journal still holds what was acknowledged and not yet counted; `recover`
 * replays it in order against the visitor states of the last count.
 */
import { aggregateInto, type BatchResult } from '../aggregate/aggregate-batch.ts';
import { Deltas } from '../aggregate/cells.ts';
import { cloneState, type VisitorState } from '../aggregate/visitor-state.ts';
import type { Committable } from '../pipeline/collected-event.ts';
import type { Clock } from '../ports.ts';
import type { Journal, Store } from '../store.ts';

export interface CountOptions {
  /** Acknowledged events are counted into the rollups at least this often, ms. */
  countEveryMs: number;
  /** …or as soon as this many are waiting to be counted. */
  countAtEvents: number;
  /**
   * Counting has fallen behind when this many acknowledged events are not counted yet: new
   * ones are refused (503) until it catches up. Far above `countAtEvents`, so that a count
   * held on purpose for a few seconds (the maintenance job at midnight) refuses nothing.
   */
  refuseAtEvents: number;
  /** Visitor states kept in memory. */
  cacheSize: number;
}

export interface Counter {
  /** Journaled events, in journal order; `through` is the id of their journal entry. */
  add(events: readonly Committable[], through: number): Promise<void>;
  /** Counting has fallen behind: `refuseAtEvents` acknowledged events are not counted yet. */
  readonly behind: boolean;
  /** Writes everything added so far (a stats query reads its own writes). */
  count(): Promise<void>;
  /** Counts what the journal holds beyond the last count (after a crash); returns how many events. */
  recover(): Promise<number>;
  /** Runs `task` between counts, never during one (the maintenance job: it deletes and checkpoints). */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /** Forgets remembered states of days before `day` (their hashes are being destroyed). */
  forgetBefore(siteId: number, day: number): void;
  /** Labels were deleted elsewhere (retention, a removed site): forget any label ids remembered. */
  clearLabels?(): void;
  close?(): Promise<void>;
}

/** What `InlineCounter` needs of storage: visitor states, and the journal it counts. */
export type CountStore = Pick<Store, 'loadVisitors'>;

/** Acknowledged events sessionised in memory, not yet written to the rollups. */
interface OpenCount extends BatchResult {
  events: number;
  /** The journal id of the last event in it. */
  through: number;
}

export class InlineCounter implements Counter {
  readonly #store: CountStore;
  readonly #journal: Journal;
  readonly #clock: Clock;
  readonly #options: CountOptions;
  readonly #onCounted: (through: number, events: number) => void;
  readonly #cache = new Map<string, VisitorState>();
  #open: OpenCount = emptyCount();
  #countTimer: ReturnType<typeof setTimeout> | undefined;
  #counting: Promise<void> = Promise.resolve();
  /**
   * The states of the count being written, which may yield between its statements: they are
   * frozen until it ends. An event for one of them meanwhile works on a copy (`#statesFor`).
   */
  #committing: Map<string, VisitorState> | undefined;
  /** Events in the count being written. */
  #committingEvents = 0;
  /** Memory fell behind the journal (a failed count): the next count replays the journal instead. */
  #stale = false;
  /** The journal id of the last event added. */
  #journaled = 0;
  /**
   * The journal is counted through this id. A replay reads the journal beyond the mark, and
   * may so count batches whose `add` is still on its way (on a thread, queued as messages):
   * those are then skipped, not counted twice.
   */
  #countedThrough = 0;

  constructor(
    store: CountStore,
    journal: Journal,
    clock: Clock,
    options: CountOptions,
    onCounted: (through: number, events: number) => void = () => {},
  ) {
    this.#store = store;
    this.#journal = journal;
    this.#clock = clock;
    this.#options = options;
    this.#onCounted = onCounted;
  }

  get behind(): boolean {
    return this.#committingEvents + this.#open.events >= this.#options.refuseAtEvents;
  }

  async add(events: readonly Committable[], through: number): Promise<void> {
    if (through <= this.#countedThrough) return;
    this.#journaled = through;
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
    if (this.#open.events >= this.#options.countAtEvents) void this.count();
    else this.#countTimer ??= setTimeout(() => void this.count(), this.#options.countEveryMs);
  }

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
    this.#countedThrough = Math.max(this.#countedThrough, through);
    this.#onCounted(through, events.length);
    return { events: entries.length, through };
  }

  forgetBefore(siteId: number, day: number): void {
    for (const [hash, state] of this.#cache) {
      if (state.siteId === siteId && state.day < day) this.#cache.delete(hash);
    }
  }

  /** Writes the open count in one transaction. Counts run one at a time. */
  count(): Promise<void> {
    this.#counting = this.#counting.then(async () => {
      clearTimeout(this.#countTimer);
      this.#countTimer = undefined;
      if (this.#stale) return this.#replay();
      const open = this.#open;
      if (open.events === 0) return;
      this.#open = emptyCount();
      this.#committing = open.touched;
      this.#committingEvents = open.events;
      try {
        await this.#journal.commitThrough(open, this.#clock(), open.through);
        this.#countedThrough = Math.max(this.#countedThrough, open.through);
        this.#onCounted(open.through, open.events);
      } catch {
        // The journal still holds these events: memory is now ahead of storage.
        this.#committing = undefined;
        this.#stale = true;
        await this.#replay();
      } finally {
        this.#committing = undefined;
        this.#committingEvents = 0;
      }
    });
    return this.#counting;
  }

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
      // Events added while stale and after the replay read the journal are not counted yet.
      this.#stale = this.#journaled > through;
      if (this.#stale) this.#countTimer ??= setTimeout(() => void this.count(), 0);
    } catch {
      // Storage is failing: the journal keeps every acknowledged event; try again later.
      this.#countTimer ??= setTimeout(() => void this.count(), this.#options.countEveryMs);
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
