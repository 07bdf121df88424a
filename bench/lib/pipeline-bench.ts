/**
 * @module The pipeline without HTTP, next to a raw better-sqlite3 batched insert of the same events.
 *
 * 1. Glimt: each request of a {@link TrafficStream} goes through `runPipeline` (parse,
 *    validate, truncate IP, bots, opt-out, URL, source, UA, country, hash) and
 *    `committer.submit` (aggregate + one SQLite transaction per batch), in chunks of
 *    2000, each chunk awaited — as concurrent HTTP requests would arrive. The same
 *    store, committer and settings as `glimt serve`.
 * 2. The ceiling: the CollectedEvents that step 1 produced, inserted as rows of a raw
 *    event table (the one Glimt does not have) in transactions of 4000 (Glimt's batch
 *    size) through one prepared statement, same pragmas (WAL, synchronous=NORMAL).
 * 3. Storage: bytes on disk of each (dbstat), per million pageviews.
 *
 * Run as a child process (`node --import tsx bench/lib/pipeline-bench.ts N`) so that it
 * starts with a clean heap; it prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VISIT_DIMENSIONS } from '../../collector/core/dimensions.ts';
import type { Committable } from '../../collector/core/pipeline/collected-event.ts';
import { type BenchRequest, TrafficStream } from '../workload.ts';
import { type InProcess, openInProcess } from './in-process.ts';

export interface PipelineResult {
  events: number;
  pageviews: number;
  /** Whole path: pipeline + aggregate + commit, events/s. */
  glimtPerS: number;
  /** The steps before the committer only, events/s. */
  pipelinePerS: number;
  /** Aggregate + commit only, events/s. */
  commitPerS: number;
  /** Raw batched insert of the same events, events/s. */
  rawInsertPerS: number;
  storage: StorageResult;
  /**
   * WAL pages written per `batch` events and per event, when events arrive `batch` at a
   * time (fresh visitors, Glimt's own committer, counting included).
   */
  wal: { batch: number; pagesPerCommit: number; bytesPerEvent: number }[];
}

export interface StorageResult {
  pageviews: number;
  events: number;
  /** Bytes of rollup_hour + rollup_day (tables; WITHOUT ROWID, so their keys are the tables). */
  rollupBytes: number;
  /** The visit grain that filtered views read (visit, visit_page, visit_event). */
  visitGrainBytes: number;
  /** Bytes of the visitor table (today's states; deleted with the salt, not history). */
  visitorBytes: number;
  /** Bytes of the raw event table and its (site_id, time) index, for the same events. */
  rawBytes: number;
}

const RAW_COLUMNS = [
  'site_id',
  'time',
  'name',
  'page',
  'visitor',
  ...VISIT_DIMENSIONS,
  'engaged_ms',
] as const;

export function tableBytes(db: Database.Database): Map<string, number> {
  const rows = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as {
    name: string;
    bytes: number;
  }[];
  return new Map(rows.map((r) => [r.name, r.bytes]));
}

/**
 * Write amplification: events arrive `batch` at a time (as group commit sees them with
 * that many requests in flight), each group awaited, then everything is drained (counted).
 * With checkpoints off, the WAL's frame count is then every page written, whatever the
 * committer's design (one transaction per batch, or a journal counted later).
 */
async function walPerEvent(app: InProcess, stream: TrafficStream, batches: readonly number[]) {
  const db = app.runtime.store.db;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const out: PipelineResult['wal'] = [];
  for (const batch of batches) {
    const total = batch * (batch >= 1000 ? 5 : 40);
    await app.runtime.committer.drain();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('wal_autocheckpoint = 0');
    for (let i = 0; i < total; i += batch) {
      const waits: Promise<void>[] = [];
      for (let j = 0; j < batch; j++) {
        const outcome = await app.pipeline(stream.next());
        if ('reject' in outcome) throw new Error(outcome.error);
        waits.push((await app.runtime.committer.submitWhenTaken(outcome)).durable);
      }
      await Promise.all(waits);
    }
    await app.runtime.committer.drain();
    // The side thread checkpoints too (passively, every second): while it holds the checkpoint
    // lock, this one answers busy (log -1) and is asked again.
    let frames = -1;
    for (let tries = 0; frames < 0 && tries < 100; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      frames = (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]?.log ?? 0;
    }
    db.pragma('wal_autocheckpoint = 1000');
    out.push({ batch, pagesPerCommit: (frames * batch) / total, bytesPerEvent: (frames * pageSize) / total });
  }
  return out;
}

export async function pipelineBench(
  events: number,
  options: { warmup?: number; walBatches?: readonly number[] } = {},
): Promise<PipelineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'glimt-pipe-'));
  try {
    const stream = new TrafficStream({ seed: 11 });
    const warmup = options.warmup ?? Math.min(20_000, events);
    const requests: BenchRequest[] = [];
    for (let i = 0; i < warmup + events; i++) requests.push(stream.next());
    const pageviews = requests.slice(warmup).filter((r) => r.cls === 'pageview').length;

    const app = await openInProcess(join(dir, 'glimt.db'), stream.sites, { clock: false });
    const collected: Committable[] = [];
    let pipelineMs = 0;
    // Chunks of 2000 events (as 2000 concurrent requests would arrive), each awaited; then
    // `drain`, so that everything acknowledged is also counted into the rollups (a committer
    // that counts in the background does that part after the acknowledgement).
    const run = async (from: number, to: number, keep: boolean) => {
      for (let i = from; i < to; i += 2000) {
        const t0 = performance.now();
        const waits: Promise<void>[] = [];
        for (const r of requests.slice(i, Math.min(to, i + 2000))) {
          const outcome = await app.pipeline(r);
          if ('reject' in outcome) throw new Error(`pipeline rejected a bench event: ${outcome.error}`);
          if (keep) collected.push(outcome);
          waits.push((await app.runtime.committer.submitWhenTaken(outcome)).durable);
        }
        if (keep) pipelineMs += performance.now() - t0;
        await Promise.all(waits);
      }
      await app.runtime.committer.drain();
    };
    await run(0, warmup, false);
    // The warm-up's rollups and states stay: the measured part starts on a warm cache and a non-empty file.
    const before = tableBytes(app.runtime.store.db);
    const started = performance.now();
    await run(warmup, warmup + events, true);
    const glimtMs = performance.now() - started;
    const commitMs = glimtMs - pipelineMs;
    app.runtime.store.checkpoint();
    const after = tableBytes(app.runtime.store.db);
    const wal = await walPerEvent(app, stream, options.walBatches ?? [50, 2000]);
    await app.close();
    const grown = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);

    // The raw ceiling: the same events, one row each.
    const raw = new Database(join(dir, 'raw.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.exec(
      `CREATE TABLE event (${RAW_COLUMNS.map((c) => `${c} ${c === 'site_id' || c === 'time' || c === 'engaged_ms' ? 'INTEGER' : 'TEXT'}`).join(', ')});
       CREATE INDEX event_site_time ON event (site_id, time);`,
    );
    const insert = raw.prepare(`INSERT INTO event VALUES (${RAW_COLUMNS.map(() => '?').join(', ')})`);
    const rows = collected.map((e) =>
      'drop' in e
        ? [e.siteId, e.bucket, `drop:${e.drop}`, '', '', ...VISIT_DIMENSIONS.map(() => ''), 0]
        : [
            e.siteId,
            e.time,
            e.name,
            e.page,
            e.visitor,
            ...VISIT_DIMENSIONS.map((dim) => e.visit[dim]),
            e.engagedMs,
          ],
    );
    const batch = raw.transaction((chunk: unknown[][]) => {
      for (const row of chunk) insert.run(...row);
    });
    const rawStarted = performance.now();
    for (let i = 0; i < rows.length; i += 4000) batch(rows.slice(i, i + 4000));
    const rawMs = performance.now() - rawStarted;
    raw.pragma('wal_checkpoint(TRUNCATE)');
    const rawSizes = tableBytes(raw);
    raw.close();

    return {
      events,
      pageviews,
      glimtPerS: (events / glimtMs) * 1000,
      pipelinePerS: (events / pipelineMs) * 1000,
      commitPerS: (events / commitMs) * 1000,
      rawInsertPerS: (events / rawMs) * 1000,
      storage: {
        pageviews,
        events,
        rollupBytes: grown('rollup_hour') + grown('rollup_day'),
        visitGrainBytes: grown('visit') + grown('visit_page') + grown('visit_event'),
        visitorBytes: grown('visitor') + grown('sqlite_autoindex_visitor_1'),
        rawBytes: (rawSizes.get('event') ?? 0) + (rawSizes.get('event_site_time') ?? 0),
      },
      wal,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.argv[2] ?? 100_000);
  pipelineBench(events).then(
    (result) => {
      console.log(JSON.stringify(result));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
