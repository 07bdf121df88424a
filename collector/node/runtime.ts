/**
 * @module The Node runtime adapter: builds the ports and the app around one SQLite store.
 */
import { createHmac } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Hono } from 'hono';
import { createApp } from '../core/app.ts';
import {
  DEFAULT_GROUP_COMMIT,
  type GroupCommitOptions,
  GroupCommitter,
} from '../core/commit/group-commit.ts';
import type { Config } from '../core/config.ts';
import { noCountry } from '../core/pipeline/lookup-country.ts';
import { Salts } from '../core/pipeline/salts.ts';
import type { Clock, KeyedHash } from '../core/ports.ts';
import { SiteRegistry } from '../core/sites.ts';
import { ThreadCounter } from '../sqlite/count-thread.ts';
import { journalPathFor, SqliteJournal } from '../sqlite/sqlite-journal.ts';
import { countPragmas, openSqliteStore, type SqliteStore } from '../sqlite/sqlite-store.ts';
import { loadDashboard } from './dashboard-assets.ts';
import { loadCountryDataset } from './geo-dataset.ts';
import { Maintenance } from './maintenance.ts';
import { compressTracker, loadTrackerScript } from './tracker-script.ts';

export const hmacSha256: KeyedHash = (key, message) =>
  createHmac('sha256', key).update(message).digest('hex');

export interface NodeRuntime {
  app: Hono;
  store: SqliteStore;
  journal: SqliteJournal;
  committer: GroupCommitter;
  sites: SiteRegistry;
  salts: Salts;
  maintenance: Maintenance;
  close(): Promise<void>;
}

export async function createNodeRuntime(
  config: Config,
  options: { clock?: Clock; log?: (line: string) => void; commit?: Partial<GroupCommitOptions> } = {},
): Promise<NodeRuntime> {
  const clock = options.clock ?? Date.now;
  const log = options.log ?? ((line: string) => console.log(line));
  // The journal has a WAL only when every commit is synced (sqlite-journal.ts).
  const walFiles = [config.db, ...(config.sync === 'full' ? [journalPathFor(config.db)] : [])];
  const store = openSqliteStore(config.db, config.sync, {
    // The count thread checkpoints them, for a database file (below).
    checkpointedElsewhere: config.db !== ':memory:',
    onThreadError: (error) => log(`the SQLite side thread stopped: ${error.message}`),
  });
  const sites = new SiteRegistry(store);
  await sites.reload();
  const salts = new Salts(store);
  const journal = new SqliteJournal(store, journalPathFor(config.db), config.sync);
  const commit = { ...DEFAULT_GROUP_COMMIT, maxQueue: config.queueMax, ...options.commit };
  // A database file is counted on a thread of its own (count-thread.ts); an in-memory one,
  // which no other thread can open, here.
  const counter =
    config.db === ':memory:'
      ? undefined
      : new ThreadCounter({
          path: config.db,
          checkpoint: walFiles,
          pendingRows: (after, limit) => journal.pendingRows(after, limit),
          pragmas: countPragmas(config.db, config.sync),
          options: commit,
          clock,
          // A failed delete loses nothing: the entries are counted (the mark), and go at the next one.
          onCounted: (through) =>
            void journal.deleteThrough(through).catch((error: Error) => {
              log(`deleting counted journal entries failed: ${error.message}`);
            }),
          log,
        });
  if (counter) {
    store.onClearLabels(() => counter.clearLabels());
    store.gateWrites(() => counter.between());
  }
  const committer = new GroupCommitter(store, journal, clock, commit, counter);
  const replayed = await committer.recover();
  if (replayed > 0) log(`counted ${replayed} acknowledged events left in the journal by the last run`);
  const app = createApp({
    store,
    sites,
    salts,
    sink: committer,
    settle: () => committer.settle(),
    keyedHash: hmacSha256,
    geo: config.geo ? loadCountryDataset() : noCountry,
    trust: config.trust,
    clock,
    peerAddress: (c) => getConnInfo(c).remote.address,
    tracker: compressTracker(await loadTrackerScript()),
    dashboard: await loadDashboard(),
    log,
  });
  const maintenance = new Maintenance({ store, journal, sites, salts, committer, clock, log });
  return {
    app,
    store,
    journal,
    committer,
    sites,
    salts,
    maintenance,
    async close() {
      maintenance.stop();
      await committer.close();
      journal.close();
      await store.close();
    },
  };
}
