import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../sqlite/sqlite-store.ts';
import type { BatchResult } from '../aggregate/aggregate-batch.ts';
import { VISIT_DIMENSIONS } from '../dimensions.ts';
import type { CollectedEvent, VisitValues } from '../pipeline/collected-event.ts';
import { GroupCommitter } from './group-commit.ts';

const visit = Object.fromEntries(VISIT_DIMENSIONS.map((d) => [d, '(none)'])) as VisitValues;
const T = Date.UTC(2026, 10, 25, 12);
const pageview = (visitor: string, page = '/'): CollectedEvent => ({
  siteId: 1,
  time: T,
  bucket: T / 1000,
  day: T / 86_400_000,
  kind: 'pageview',
  name: 'pageview',
  page,
  engagedMs: 0,
  visitor,
  visit,
});

let store: SqliteStore;
let commits: number;

beforeEach(async () => {
  store = openSqliteStore(':memory:');
  await store.addSite('example.com', {});
  commits = 0;
  const commit = store.commit.bind(store);
  store.commit = (batch: BatchResult, now: number) => {
    commits++;
    return commit(batch, now);
  };
});
afterEach(() => store.close());

const pageviews = () =>
  store.db
    .prepare("SELECT sum(pageviews) FROM rollup_day WHERE dim = 0 AND value = ''")
    .pluck()
    .get() as number;

describe('GroupCommitter', () => {
  it('commits events that arrive together in one transaction, and resolves after it', async () => {
    const committer = new GroupCommitter(store, () => T, { delayMs: 5 });
    const waits = Array.from({ length: 50 }, (_, i) => committer.submit(pageview(`v${i}`)));
    await Promise.all(waits);
    expect(commits).toBe(1);
    expect(pageviews()).toBe(50);
  });

  it('caps a batch at maxBatch events', async () => {
    const committer = new GroupCommitter(store, () => T, { maxBatch: 10, delayMs: 1 });
    await Promise.all(Array.from({ length: 35 }, (_, i) => committer.submit(pageview(`v${i}`))));
    expect(commits).toBe(4);
    expect(pageviews()).toBe(35);
  });

  it('refuses at once when the queue is full, instead of growing', async () => {
    const committer = new GroupCommitter(store, () => T, { maxQueue: 3, delayMs: 50 });
    const answers = Array.from({ length: 5 }, (_, i) => committer.submit(pageview(`v${i}`)));
    expect(answers.filter((a) => a === 'overloaded')).toHaveLength(2);
    await committer.drain();
    expect(pageviews()).toBe(3);
  });

  it('rejects every waiter of a failed batch, and forgets the state it touched', async () => {
    const committer = new GroupCommitter(store, () => T, { delayMs: 1 });
    await committer.submit(pageview('v1', '/a'));
    const commit = store.commit;
    store.commit = () => Promise.reject(new Error('disk full'));
    await expect(committer.submit(pageview('v1', '/b'))).rejects.toThrow('disk full');
    store.commit = commit;
    await committer.submit(pageview('v1', '/b'));
    // The failed /b never happened: the visit has 2 pageviews, not 3, and is no bounce.
    expect(pageviews()).toBe(2);
    const bounces = store.db.prepare('SELECT sum(bounces) FROM rollup_day WHERE dim = 0').pluck().get();
    expect(bounces).toBe(0);
  });

  it('reads a visitor state back from storage when the cache lost it', async () => {
    const first = new GroupCommitter(store, () => T, { delayMs: 1 });
    await first.submit(pageview('v1', '/a'));
    const second = new GroupCommitter(store, () => T, { delayMs: 1 }); // a restarted process
    await second.submit(pageview('v1', '/b'));
    const visits = store.db.prepare('SELECT sum(visits) FROM rollup_day WHERE dim = 0').pluck().get();
    expect(visits).toBe(1);
  });
});
