/**
 * @module The store on Cloudflare D1: the same port, schema and migrations as the SQLite store.
 *
 * Every call is one round trip; a commit is one `db.batch()`, which D1 runs as one
 * transaction. The SQL, and why it differs from the SQLite store's, is in `statements.ts`.
 *
 * Idempotency: a Queue may deliver a message again (a batch retried after its commit landed
 * but before the ack did, possibly regrouped with other messages). `commit` can take the ids
 * of the messages it applies and inserts them into `applied_batch` in the same transaction;
 * the consumer first skips the ids already there (`readForCommit`). If another delivery of
 * one of them commits in between, the plain INSERT fails on the primary key and rolls the
 * whole batch back, so no number moves twice. Ids, not a hash of the batch: a redelivered
 * message may come back in another batch.
 */
import type { BatchResult } from '../core/aggregate/aggregate-batch.ts';
import { deserializeState, serializeState, type VisitorState } from '../core/aggregate/visitor-state.ts';
import { COUNTERS } from '../core/dimensions.ts';
import { type SiteRow, toSite } from '../core/site-row.ts';
import type {
  RollupQuery,
  RollupRow,
  SessionRecord,
  Site,
  SiteOptions,
  Store,
  TokenRecord,
  VisitGrainQuery,
  VisitGrainRow,
} from '../core/store.ts';
import { SESSION_SQL, type SessionRow, toSessionRecord } from '../sqlite/session-sql.ts';
import {
  batchLabels,
  batchMonth,
  LABEL_SQL,
  type LabelId,
  labelKey,
  labelMonth,
  VISIT_GRAIN_TABLES,
  visitGrainRows,
  visitGrainSql,
  visitGrainUpserts,
} from '../sqlite/visit-grain.ts';
import type { D1Database, D1PreparedStatement } from './d1-types.ts';
import { jsonChunks, SQL } from './statements.ts';

/** Hashes per lookup statement: ~35 KB of JSON, far below D1's 2 MB per value. */
const LOOKUP_CHUNK = 1000;

export class D1Store implements Store {
  readonly db: D1Database;

  constructor(db: D1Database) {
    this.db = db;
  }

  async listSites(): Promise<Site[]> {
    const { results } = await this.db.prepare(SQL.listSites).all<SiteRow>();
    return results.map(toSite);
  }

  async addSite(domain: string, options: SiteOptions): Promise<Site> {
    const row = await this.db
      .prepare(SQL.addSite)
      .bind(
        domain,
        options.timezone ?? 'UTC',
        options.honourOptOut === false ? 0 : 1,
        options.retentionMonths ?? 25,
        Date.now(),
      )
      .first<SiteRow>();
    if (!row) throw new Error(`adding site ${domain} returned no row`);
    return toSite(row);
  }

  async updateSite(domain: string, options: SiteOptions): Promise<Site | undefined> {
    const row = await this.db
      .prepare(SQL.updateSite)
      .bind(
        options.timezone ?? null,
        options.honourOptOut === undefined ? null : options.honourOptOut ? 1 : 0,
        options.retentionMonths ?? null,
        domain,
      )
      .first<SiteRow>();
    return row ? toSite(row) : undefined;
  }

  async removeSite(domain: string): Promise<boolean> {
    const [found] = await this.db.batch<{ id: number }>([
      this.db.prepare(SQL.siteId).bind(domain),
      ...[...SQL.siteTables, ...VISIT_GRAIN_TABLES.map(([table]) => table), 'label'].map((table) =>
        this.db.prepare(SQL.deleteSiteRows(table)).bind(domain),
      ),
      this.db.prepare(SQL.deleteSite).bind(domain),
    ]);
    return (found?.results.length ?? 0) > 0;
  }

  async addToken(hash: string, record: TokenRecord): Promise<void> {
    await this.db.prepare(SQL.addToken).bind(hash, record.kind, record.siteId, Date.now()).run();
  }

  async findToken(hash: string): Promise<TokenRecord | undefined> {
    const row = await this.db
      .prepare(SQL.findToken)
      .bind(hash)
      .first<{ kind: 'admin' | 'share'; site_id: number | null }>();
    return row ? { kind: row.kind, siteId: row.site_id } : undefined;
  }

  async hasAdminToken(): Promise<boolean> {
    return (await this.db.prepare(SQL.hasAdminToken).first()) !== null;
  }

  async revokeOtherAdminTokens(keep: string): Promise<number> {
    const revoked = (await this.db.prepare(SESSION_SQL.revokeAdminTokens).bind(keep).run()).meta.changes ?? 0;
    if (revoked > 0) await this.db.prepare(SESSION_SQL.deleteAdminSessions).run();
    return revoked;
  }

  async addSession(hash: string, record: SessionRecord, now: number): Promise<void> {
    await this.db.batch([
      this.db.prepare(SESSION_SQL.purgeExpired).bind(now),
      this.db.prepare(SESSION_SQL.add).bind(hash, record.kind, record.siteId, record.expiresAt),
    ]);
  }

  async findSession(hash: string, now: number): Promise<SessionRecord | undefined> {
    const row = await this.db.prepare(SESSION_SQL.find).bind(hash, now).first<SessionRow>();
    return row ? toSessionRecord(row) : undefined;
  }

  async deleteSession(hash: string): Promise<void> {
    await this.db.prepare(SESSION_SQL.delete).bind(hash).run();
  }

  async salt(siteId: number, day: number, candidate: Uint8Array): Promise<Uint8Array> {
    // Insert-or-keep, then read, in one round trip: every isolate ends up with the first writer's salt.
    const [, stored] = await this.db.batch<{ salt: unknown }>([
      this.db.prepare(SQL.insertSalt).bind(siteId, day, candidate.slice().buffer),
      this.db.prepare(SQL.selectSalt).bind(siteId, day),
    ]);
    const value = stored?.results[0]?.salt;
    if (value === undefined) throw new Error(`no salt stored for site ${siteId}, day ${day}`);
    return toBytes(value);
  }

  async loadVisitors(hashes: readonly string[]): Promise<Map<string, VisitorState>> {
    return (await this.readForCommit([], hashes)).states;
  }

  /** Which of these message ids a commit has already applied. */
  async applied(ids: readonly string[]): Promise<Set<string>> {
    return (await this.readForCommit(ids, [])).applied;
  }

  /**
   * What a queue batch's commit needs, in one round trip: which of its message ids are
   * already applied, and the stored states of its visitors.
   */
  async readForCommit(
    ids: readonly string[],
    hashes: readonly string[],
  ): Promise<{ applied: Set<string>; states: Map<string, VisitorState> }> {
    const applied = new Set<string>();
    const states = new Map<string, VisitorState>();
    const idLookups = chunk(ids, LOOKUP_CHUNK).map((part) =>
      this.db.prepare(SQL.selectApplied).bind(JSON.stringify(part)),
    );
    const stateLookups = chunk(hashes, LOOKUP_CHUNK).map((part) =>
      this.db.prepare(SQL.loadVisitors).bind(JSON.stringify(part)),
    );
    if (idLookups.length + stateLookups.length === 0) return { applied, states };
    const results = await this.db.batch([...idLookups, ...stateLookups]);
    results.forEach((result, i) => {
      for (const row of result.results) {
        if (i < idLookups.length) applied.add(row.id as string);
        else states.set(row.hash as string, deserializeState(row.state as string));
      }
    });
    return { applied, states };
  }

  /**
   * Writes the batch's deltas, drop counts and visitor states in ONE `db.batch()`. With
   * `appliedIds`, they are recorded first, and any of them already recorded rolls it all back.
   */
  async commit(batch: BatchResult, now: number, appliedIds: readonly string[] = []): Promise<void> {
    const hours: unknown[] = [];
    const days: unknown[] = [];
    for (const cell of batch.deltas.cells()) {
      const row = [cell.siteId, cell.dim, cell.time, cell.value, ...COUNTERS.map((c) => cell.counters[c])];
      (cell.grain === 'hour' ? hours : days).push(row);
    }
    const drops = [...batch.deltas.drops()].map((d) => [d.siteId, d.bucket, d.reason, d.events]);
    const visitors = [...batch.touched].map(([hash, state]) => [
      hash,
      state.siteId,
      state.day,
      now,
      serializeState(state),
    ]);
    const grain = visitGrainRows(batch.deltas, await this.#labelIds(batch));
    const statements: D1PreparedStatement[] = [
      ...jsonChunks(appliedIds).map((ids) => this.db.prepare(SQL.insertApplied).bind(now, ids)),
      ...this.#each(SQL.upsertHour, hours),
      ...this.#each(SQL.upsertDay, days),
      ...this.#each(SQL.upsertDrops, drops),
      ...this.#each(SQL.upsertVisitors, visitors),
      ...this.#each(VISIT_UPSERTS.visit, [...grain.visits]),
      ...this.#each(VISIT_UPSERTS.page, [...grain.pages]),
      ...this.#each(VISIT_UPSERTS.event, [...grain.events]),
    ];
    if (statements.length > 0) await this.db.batch(statements);
  }

  async rollup(query: RollupQuery): Promise<RollupRow[]> {
    const table = query.grain === 'hour' ? 'rollup_hour' : 'rollup_day';
    const byValue = query.groupBy === 'value' || query.groupBy === 'value_time';
    const byTime = query.groupBy === 'time' || query.groupBy === 'value_time';
    const params: (string | number)[] = [query.siteId, query.dim, query.from, query.to];
    if (query.value !== undefined) params.push(query.value);
    const { results } = await this.db
      .prepare(SQL.rollup(table, byValue, byTime, query.value !== undefined))
      .bind(...params)
      .all<RollupRow>();
    // SUM over no rows is one row of NULLs: read it as zeros.
    return results.map(zeroNulls);
  }

  async visitGrain(query: VisitGrainQuery): Promise<VisitGrainRow[]> {
    const { sql, params } = visitGrainSql(query);
    return (
      await this.db
        .prepare(sql)
        .bind(...params)
        .all<VisitGrainRow>()
    ).results;
  }

  async dropped(siteId: number, fromBucket: number, toBucket: number) {
    const { results } = await this.db
      .prepare(SQL.dropped)
      .bind(siteId, fromBucket, toBucket)
      .all<{ reason: string; events: number }>();
    return results;
  }

  async liveVisitors(siteId: number, sinceMs: number): Promise<number> {
    const row = await this.db.prepare(SQL.liveVisitors).bind(siteId, sinceMs).first<{ n: number }>();
    return row?.n ?? 0;
  }

  async purge(
    siteId: number,
    beforeDay: number,
    keepBucketsFrom: number,
    keepDaysFrom: number,
  ): Promise<void> {
    const [salt, visitor, hour, dropped, day] = SQL.purge;
    await this.db.batch([
      this.db.prepare(salt).bind(siteId, beforeDay),
      this.db.prepare(visitor).bind(siteId, beforeDay),
      this.db.prepare(hour).bind(siteId, keepBucketsFrom),
      this.db.prepare(dropped).bind(siteId, keepBucketsFrom),
      this.db.prepare(day).bind(siteId, keepDaysFrom),
      ...VISIT_GRAIN_TABLES.map(([table, time]) =>
        this.db
          .prepare(`DELETE FROM ${table} WHERE site_id = ? AND ${time} < ?`)
          .bind(siteId, keepBucketsFrom),
      ),
      this.db.prepare(LABEL_SQL.purge).bind(siteId, labelMonth(keepBucketsFrom)),
    ]);
  }

  /** Forgets the applied ids of messages first sent before the UTC day of `sentBefore` (see `appliedId`). */
  async forgetAppliedBefore(sentBefore: Date): Promise<void> {
    await this.db.prepare(SQL.forgetApplied).bind(utcDay(sentBefore)).run();
  }

  async close(): Promise<void> {
    // The binding belongs to the Worker: nothing to close.
  }

  /**
   * The label ids of a batch's texts, created where missing, in one round trip before the
   * commit's. A commit that then fails leaves its new labels behind: harmless, they are reused.
   */
  async #labelIds(batch: BatchResult): Promise<LabelId> {
    const labels = batchLabels(batch.deltas);
    const ids = new Map<string, number>();
    if (labels.length > 0) {
      const month = batchMonth(batch.deltas);
      const chunks = jsonChunks(labels);
      const results = await this.db.batch<{ id: number; site_id: number; dim: number; value: string }>([
        ...chunks.map((json) => this.db.prepare(LABEL_SQL.upsertJson).bind(month, json)),
        ...chunks.map((json) => this.db.prepare(LABEL_SQL.findJson).bind(json)),
      ]);
      for (const result of results) {
        for (const row of result.results ?? []) ids.set(labelKey(row.site_id, row.dim, row.value), row.id);
      }
    }
    return (siteId, dim, value) => {
      const id = ids.get(labelKey(siteId, dim, value));
      if (id === undefined) throw new Error(`no label for ${siteId}:${dim}:${value}`);
      return id;
    };
  }

  #each(sql: string, rows: readonly unknown[]): D1PreparedStatement[] {
    return jsonChunks(rows).map((json) => this.db.prepare(sql).bind(json));
  }
}

/**
 * The id under which a queue message is remembered: the UTC day it was first sent, then its
 * id. Sorting by day makes forgetting old ids a range delete on the primary key, not a scan.
 */
export function appliedId(sentAt: Date, messageId: string): string {
  return `${utcDay(sentAt)}/${messageId}`;
}

const utcDay = (time: Date) => time.toISOString().slice(0, 10);

/** D1 hands BLOBs back as an ArrayBuffer or as an array of byte values, depending on the version. */
function toBytes(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  throw new Error(`a salt is not bytes: ${typeof value}`);
}

const VISIT_UPSERTS = visitGrainUpserts('json');

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function zeroNulls(row: RollupRow): RollupRow {
  for (const counter of COUNTERS) row[counter] ??= 0;
  return row;
}
