import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dayTotal, journalEvents, pageview, T } from '../../../test/support/events.ts';
import { journalPathFor, SqliteJournal } from '../../sqlite/sqlite-journal.ts';
import { openSqliteStore, type SqliteStore } from '../../sqlite/sqlite-store.ts';
import { GroupCommitter } from './group-commit.ts';

let dir: string;
let store: SqliteStore;
let journal: SqliteJournal;
let appends: number;

// Real files: the count then runs on the store's side thread while events keep arriving.
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glimt-group-commit-'));
  const path = join(dir, 'glimt.db');
  store = openSqliteStore(path);
  journal = new SqliteJournal(store, journalPathFor(path));
  await store.addSite('example.com', {});
  appends = 0;
  const append = journal.append.bind(journal);
  journal.append = (events) => {
    appends++;
    return append(events);
  };
});
afterEach(async () => {
  journal.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const sum = (column: string) => dayTotal(store.db, column);
const journalRows = () => journalEvents(journal.db);

describe('GroupCommitter', () => {
  it('acknowledges events that arrive together with one journal append, and counts them after', async () => {
    const committer = new GroupCommitter(store, journal, () => T, { delayMs: 5 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => committer.submit(pageview(`v${i}`))));
    expect(appends).toBe(1);
    expect(journalRows()).toBe(50); // durable, not yet counted
    await committer.settle();
    expect(sum('pageviews')).toBe(50);
    expect(journalRows()).toBe(0); // the count emptied the journal in the same transaction
  });

  it('caps an acknowledging transaction at maxBatch events', async () => {
    const committer = new GroupCommitter(store, journal, () => T, { maxBatch: 10, delayMs: 1 });
    await Promise.all(Array.from({ length: 35 }, (_, i) => committer.submit(pageview(`v${i}`))));
    expect(appends).toBe(4);
    await committer.settle();
    expect(sum('pageviews')).toBe(35);
  });

  it('counts on its own within countEveryMs', async () => {
    const committer = new GroupCommitter(store, journal, () => T, { delayMs: 1, countEveryMs: 20 });
    await committer.submit(pageview('v1'));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sum('pageviews')).toBe(1);
  });

  it('refuses at once when the queue is full, instead of growing', async () => {
    const committer = new GroupCommitter(store, journal, () => T, { maxQueue: 3, delayMs: 50 });
    const answers = Array.from({ length: 5 }, (_, i) => committer.submit(pageview(`v${i}`)));
    expect(answers.filter((a) => a === 'overloaded')).toHaveLength(2);
    await committer.drain();
    expect(sum('pageviews')).toBe(3);
  });

  it('rejects every waiter of a failed append, and counts none of them', async () => {
    const committer = new GroupCommitter(store, journal, () => T, { delayMs: 1 });
    await committer.submit(pageview('v1', '/a'));
    const append = journal.append;
    journal.append = () => Promise.reject(new Error('disk full'));
    await expect(committer.submit(pageview('v1', '/b'))).rejects.toThrow('disk full');
    journal.append = append;
    await committer.submit(pageview('v1', '/b'));
    await committer.settle();
    // The refused /b never happened: the visit has 2 pageviews, not 3, and is no bounce.
    expect(sum('pageviews')).toBe(2);
    expect(sum('visits')).toBe(1);
    expect(sum('bounces')).toBe(0);
  });

  it('keeps acknowledged events through a failed count, and counts them exactly once after', async () => {
    const committer = new GroupCommitter(store, journal, () => T, { delayMs: 1 });
    await committer.submit(pageview('v1', '/a'));
    await committer.submit(pageview('v1', '/b'));
    const commitThrough = journal.commitThrough;
    journal.commitThrough = () => Promise.reject(new Error('disk full'));
    await committer.settle();
    expect(sum('pageviews')).toBe(0);
    expect(journalRows()).toBe(2);
    journal.commitThrough = commitThrough;
    await committer.submit(pageview('v1', '/c'));
    await committer.settle();
    expect([sum('pageviews'), sum('visits'), sum('bounces'), journalRows()]).toEqual([3, 1, 0, 0]);
  });

  it('replays what a crash left in the journal, against the states of the last count', async () => {
    const before = new GroupCommitter(store, journal, () => T, { delayMs: 1, countEveryMs: 60_000 });
    await before.submit(pageview('v1', '/a'));
    await before.settle();
    await before.submit(pageview('v1', '/b')); // acknowledged, then the process dies uncounted
    expect(journalRows()).toBe(1);
    const after = new GroupCommitter(store, journal, () => T, { delayMs: 1 }); // the restart
    expect(await after.recover()).toBe(1);
    expect([sum('pageviews'), sum('visits'), sum('bounces'), journalRows()]).toEqual([2, 1, 0, 0]);
  });

  it('reads a visitor state back from storage when the cache lost it', async () => {
    const first = new GroupCommitter(store, journal, () => T, { delayMs: 1 });
    await first.submit(pageview('v1', '/a'));
    await first.settle();
    const second = new GroupCommitter(store, journal, () => T, { delayMs: 1 }); // a restarted process
    await second.submit(pageview('v1', '/b'));
    await second.settle();
    expect(sum('visits')).toBe(1);
  });

  it('refuses events while counting has fallen behind, instead of growing memory, and loses none it took', async () => {
    const committer = new GroupCommitter(store, journal, () => T, {
      countEveryMs: 60_000,
      countAtEvents: 1_000,
      refuseAtEvents: 2_000,
    });
    // The real count, held back until the test lets it go: a count that cannot keep up.
    let letGo = () => {};
    const gate = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const commitThrough = journal.commitThrough.bind(journal);
    journal.commitThrough = async (...args) => {
      await gate;
      return commitThrough(...args);
    };
    try {
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => committer.submit(pageview(`v${i}`))));
      const answers = Array.from({ length: 1_500 }, (_, i) => committer.submit(pageview(`w${i}`)));
      const taken = answers.filter((answer) => answer !== 'overloaded');
      await Promise.all(taken);
      await new Promise((resolve) => setTimeout(resolve, 50)); // acknowledged, then sessionised
      // The next count is full while the first waits: what comes now is refused, not held in memory.
      expect(committer.submit(pageview('x'))).toBe('overloaded');
      letGo();
      await committer.settle();
      expect(sum('pageviews')).toBe(1_000 + taken.length);
      const late = committer.submit(pageview('late'));
      expect(late).not.toBe('overloaded'); // caught up: taken again
      await late;
      await committer.drain();
    } finally {
      letGo();
      journal.commitThrough = commitThrough;
    }
  });

  it('acknowledges events while a large count is being written, and counts each once', async () => {
    const visitors = 20_000;
    // One count of them all, started by `settle`, not by their number.
    const committer = new GroupCommitter(store, journal, () => T, {
      countEveryMs: 60_000,
      countAtEvents: 2 * visitors,
    });
    await Promise.all(Array.from({ length: visitors }, (_, i) => committer.submit(pageview(`v${i}`, '/a'))));
    let counted = false;
    const counting = committer.settle().then(() => {
      counted = true;
    });
    // v1 comes back while its state is being written: its event works on a copy.
    await committer.submit(pageview('v1', '/b'));
    expect(counted, 'the count was still running when the event was acknowledged').toBe(false);
    await counting;
    // The process dies before counting v1's second pageview. What the first count stored must
    // be v1 as it was before it (a state written ahead would apply the pageview twice).
    const restarted = new GroupCommitter(store, journal, () => T);
    expect(await restarted.recover()).toBe(1);
    expect([sum('pageviews'), sum('visits'), sum('bounces'), journalRows()]).toEqual([
      visitors + 1,
      visitors,
      visitors - 1,
      0,
    ]);
    expect(await new GroupCommitter(store, journal, () => T).recover()).toBe(0);
  });
});
