/**
 * @module The maintenance job: salt rotation clean-up and retention, checked once a minute, done once a local day.
 *
 * At each site's local midnight the previous day's salt and visitor states are deleted
 * (in storage with `secure_delete`, then the WAL is checkpointed and truncated so no old
 * page lingers there), and forgotten in memory. Rollups older than the site's retention
 * are deleted too, and completed months are folded into the month grain.
 */
import type { GroupCommitter } from '../core/commit/group-commit.ts';
import { expireSite } from '../core/expire-site.ts';
import type { Salts } from '../core/pipeline/salts.ts';
import type { Clock } from '../core/ports.ts';
import type { SiteRegistry } from '../core/sites.ts';
import { firstDayOfMonth, firstWholeMonth, lastDayOfMonth, monthOfDay } from '../core/time/month.ts';
import { localTime } from '../core/time/zone.ts';
import type { SqliteJournal } from '../sqlite/sqlite-journal.ts';
import type { SqliteStore } from '../sqlite/sqlite-store.ts';

const EVERY_MS = 60_000;

export interface MaintenanceDeps {
  store: SqliteStore;
  journal: SqliteJournal;
  sites: SiteRegistry;
  salts: Salts;
  committer: GroupCommitter;
  clock: Clock;
  log: (line: string) => void;
}

export class Maintenance {
  readonly #deps: MaintenanceDeps;
  /** Each site's local day at the last run. */
  readonly #days = new Map<number, number>();
  /**
   * Sites removed while this process runs (`glimt sites remove`, from another process), and how
   * many more runs purge what a count wrote for them after the removal.
   */
  readonly #removed = new Map<number, number>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(deps: MaintenanceDeps) {
    this.#deps = deps;
  }

  start(): void {
    // A failed run (a WAL another connection kept busy) is logged and tried again next minute.
    this.#timer = setInterval(
      () => void this.run().catch((error) => this.#deps.log(`maintenance: ${String(error)}`)),
      EVERY_MS,
    );
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * Everything acknowledged before `now` is counted first: the events of a day's last second
   * may still be in the open count when the day turns, and a completed month is folded once,
   * so its month row must hold them. Then between counts: a count's transaction yields
   * midway, and a checkpoint cannot truncate under it.
   */
  async run(): Promise<void> {
    const now = this.#deps.clock();
    await this.#deps.committer.settle();
    return this.#deps.committer.exclusive(() => this.#run(now));
  }

  /**
   * A site removed while Glimt runs: its salts and the visitor states of the count go from
   * memory at once (invariant 3), and this run and the next delete what a count wrote for it
   * after the removal (its last second of events, acknowledged before). True when one went.
   */
  #forgetRemoved(): boolean {
    const registered = new Set(this.#deps.sites.all().map((site) => site.id));
    let removed = false;
    for (const id of this.#days.keys()) {
      if (registered.has(id)) continue;
      this.#deps.salts.forgetBefore(id, ALL_DAYS);
      this.#deps.committer.forgetBefore(id, ALL_DAYS);
      this.#days.delete(id);
      this.#removed.set(id, 2);
      removed = true;
    }
    return removed;
  }

  async #run(now: number): Promise<void> {
    const { store, journal, sites, salts, committer } = this.#deps;
    await sites.reload();
    let rotated = this.#forgetRemoved();
    for (const [id, runs] of this.#removed) {
      await store.purge(id, ALL_DAYS, ALL_SECONDS, ALL_DAYS);
      if (runs > 1) this.#removed.set(id, runs - 1);
      else this.#removed.delete(id);
    }
    for (const site of sites.all()) {
      // Nothing expires and nothing is to fold until the site's local day turns: the purge
      // scans the rollups, which on the event loop every minute grew into stalls as they grew.
      if (this.#days.get(site.id) === localTime(site.timezone, now).day) continue;
      const { today, keepDaysFrom } = await expireSite(store, salts, site, now);
      await foldCompletedMonths(store, site.id, keepDaysFrom, today);
      committer.forgetBefore(site.id, today);
      this.#days.set(site.id, today);
      rotated = true;
    }
    // A new local day somewhere (or the first run): salts and states were destroyed, so the
    // pages that held them leave the WALs too.
    if (rotated) {
      store.checkpoint();
      journal.deleteCounted();
      journal.checkpoint();
    }
  }
}

/** A day after all data (the year 29349), as a number of days, and in seconds: a purge "before" it deletes all a site has. */
const ALL_DAYS = 10_000_000;
const ALL_SECONDS = ALL_DAYS * 86_400;

/**
 * Folds each month inside the retention into the month grain: a completed month once (it
 * never changes again: events are counted at their arrival time), the current month again
 * each day, through yesterday.
 */
async function foldCompletedMonths(store: SqliteStore, siteId: number, keepDaysFrom: number, today: number) {
  const folded = await store.foldedMonths(siteId);
  const current = monthOfDay(today);
  for (let month = firstWholeMonth(keepDaysFrom); month <= current; month++) {
    const through = month < current ? lastDayOfMonth(month) : today - 1;
    if (through < firstDayOfMonth(month)) continue; // the first of the month: nothing complete yet
    if ((folded.get(month) ?? -1) < through) await store.foldMonth(siteId, month, through);
  }
}
