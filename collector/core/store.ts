/**
 * @module The store port: everything the core asks of storage.
 *
 * Implemented by `collector/sqlite` (Node, better-sqlite3) and, on the edge, by D1.
 * Asynchronous because D1 is; the SQLite adapter answers with settled promises.
 * The same contract suite (`test/contract/store.contract.ts`) runs against each.
 */
import type { BatchResult } from './aggregate/aggregate-batch.ts';
import type { VisitorState } from './aggregate/visitor-state.ts';
import type { BreakdownDimension, Counters } from './dimensions.ts';
import type { Committable } from './pipeline/collected-event.ts';

export interface Site {
  id: number;
  domain: string;
  /** IANA zone: days, salts and day-grain rollups follow its midnight. */
  timezone: string;
  /** Drop events that carry `Sec-GPC: 1` or `DNT: 1`. On by default. */
  honourOptOut: boolean;
  /** Rollups older than this are deleted by the maintenance job. */
  retentionMonths: number;
}

export type SiteOptions = Partial<Omit<Site, 'id' | 'domain'>>;

export type Grain = 'hour' | 'day' | 'month';

export interface RollupQuery {
  siteId: number;
  grain: Grain;
  dim: number;
  /** Inclusive bounds: bucket seconds (`hour`), day numbers (`day`) or month numbers (`month`). */
  from: number;
  to: number;
  /** Only this value of `dim`. */
  value?: string;
  /** One row per dimension value, per bucket/day, per both, or one row for the lot. */
  groupBy: 'value' | 'time' | 'value_time' | 'all';
}

export interface RollupRow extends Counters {
  /** The dimension value ('' unless grouped by value). */
  value: string;
  /** The bucket or day (0 unless grouped by time). */
  time: number;
}

/**
 * One measure of a filtered view, read from the visit grain (ARCHITECTURE.md, "Filters"):
 * the visits that match every filter, and their pageviews or custom events.
 */
export interface VisitGrainQuery {
  siteId: number;
  /** Inclusive hour buckets: visits that started in them; pageviews and events that happened in them. */
  from: number;
  to: number;
  /** Values of one dimension are alternatives (OR); dimensions must all hold (AND). */
  filters: ReadonlyMap<BreakdownDimension, readonly string[]>;
  measure: 'visits' | 'pages' | 'events';
  /** One row per value of this dimension (`page` only with pages, `event` only with events). */
  groupBy?: BreakdownDimension;
  /** One row per hour bucket, per local day, or one for the range. */
  period: 'all' | 'hour' | 'day';
}

export interface VisitGrainRow {
  value: string;
  time: number;
  /** The `visits` measure: visits started, bounces, duration, and their whole pageviews and events. */
  visits: number;
  bounces: number;
  duration_ms: number;
  /** The `pages` measure: pageviews and engaged time in range; `events`: custom events in range. */
  pageviews: number;
  events: number;
  engaged_ms: number;
  /** Distinct matching visits the row counts (its visits, or those with such a pageview or event). */
  basis: number;
}

export interface TokenRecord {
  kind: 'admin' | 'share';
  /** For share tokens: the one site it may read. */
  siteId: number | null;
}

/** A dashboard login session (stored by the hash of its cookie): what it grants, and until when. */
export interface SessionRecord extends TokenRecord {
  /** Epoch ms after which the session is void. */
  expiresAt: number;
}

/**
 * The write-ahead journal of the Node runtime: accepted events, appended in one small
 * sequential transaction per acknowledged batch, and deleted by the rollup commit that
 * counts them. After a crash, what is left is replayed.
 */
export interface Journal {
  /** Appends a batch durably, in order; returns its journal id (increasing). */
  append(events: readonly Committable[]): Promise<number>;
  /** Events appended and not yet committed to the rollups, oldest first, each with its batch's id. */
  pending(): Promise<{ id: number; event: Committable }[]>;
  /** `Store.commit`, and the deletion of the journal's events up to `through`, in one transaction. */
  commitThrough(batch: BatchResult, now: number, through: number): Promise<void>;
}

export interface Store {
  listSites(): Promise<Site[]>;
  addSite(domain: string, options: SiteOptions): Promise<Site>;
  updateSite(domain: string, options: SiteOptions): Promise<Site | undefined>;
  removeSite(domain: string): Promise<boolean>;

  /** Tokens are stored only as SHA-256 hashes. */
  addToken(hash: string, record: TokenRecord): Promise<void>;
  findToken(hash: string): Promise<TokenRecord | undefined>;
  hasAdminToken(): Promise<boolean>;
  /**
   * Deletes every admin token but `keep` and, when one went, every admin login: a changed
   * `GLIMT_ADMIN_TOKEN` leaves the old token, and the logins made with it, worthless.
   * Answers how many tokens went.
   */
  revokeOtherAdminTokens(keep: string): Promise<number>;

  /** Dashboard sessions, by the SHA-256 hash of their cookie. Adding one purges the expired. */
  addSession(hash: string, record: SessionRecord, now: number): Promise<void>;
  /** The session, unless it has expired by `now`. */
  findSession(hash: string, now: number): Promise<SessionRecord | undefined>;
  deleteSession(hash: string): Promise<void>;

  /** The salt of (site, day): `candidate` is stored unless another writer stored one first. */
  salt(siteId: number, day: number, candidate: Uint8Array): Promise<Uint8Array>;

  loadVisitors(hashes: readonly string[]): Promise<Map<string, VisitorState>>;
  /** Writes a batch's deltas, drops and states in one transaction. */
  commit(batch: BatchResult, now: number): Promise<void>;

  rollup(query: RollupQuery): Promise<RollupRow[]>;
  visitGrain(query: VisitGrainQuery): Promise<VisitGrainRow[]>;
  dropped(
    siteId: number,
    fromBucket: number,
    toBucket: number,
  ): Promise<{ reason: string; events: number }[]>;
  /** Visitors whose latest event is at or after `sinceMs`. */
  liveVisitors(siteId: number, sinceMs: number): Promise<number>;

  /**
   * The month grain, where a store keeps one (SQLite): months folded from the day grain by
   * the maintenance job, each through a day (month → last day folded). A store without it
   * answers every whole-day range from days.
   */
  foldedMonths?(siteId: number): Promise<Map<number, number>>;
  /** (Re)folds a month's day rows, from its first day through `throughDay`, into its month rows. */
  foldMonth?(siteId: number, month: number, throughDay: number): Promise<void>;
  /** The first day with day rows of `dim` (undefined: none), where a store keeps a month grain. */
  firstDay?(siteId: number, dim: number): Promise<number | undefined>;

  /** Destroys salts and visitor states of days before `day`, and rollups before the retention limits. */
  purge(siteId: number, beforeDay: number, keepBucketsFrom: number, keepDaysFrom: number): Promise<void>;
  close(): Promise<void>;
}
