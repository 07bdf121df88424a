import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_GROUP_COMMIT,
  type GroupCommitOptions,
  GroupCommitter,
} from '../core/commit/group-commit.ts';
import { VISIT_DIMENSIONS } from '../core/dimensions.ts';
import type { CollectedEvent, VisitValues } from '../core/pipeline/collected-event.ts';
import { ThreadCounter } from './count-thread.ts';
import { journalPathFor, SqliteJournal } from './sqlite-journal.ts';
import { countPragmas, openSqliteStore, type SqliteStore } from './sqlite-store.ts';

// Real files and a real worker thread: the count thread opens the store and the journal itself.
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

let dir: string;
let path: string;
let store: SqliteStore;
let journal: SqliteJournal;
let counters: ThreadCounter[];
let logged: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glimt-count-thread-'));
  path = join(dir, 'glimt.db');
  store = openSqliteStore(path);
  journal = new SqliteJournal(store, journalPathFor(path));
  await store.addSite('example.com', {});
  counters = [];
  logged = [];
});
afterEach(async () => {
  for (const counter of counters) await counter.close();
  journal.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function threadCounter(options: Partial<GroupCommitOptions> = {}): ThreadCounter {
  const counter = new ThreadCounter({
    path,
    journalPath: journalPathFor(path),
    pragmas: countPragmas(path, 'normal'),
    options: { ...DEFAULT_GROUP_COMMIT, ...options },
    clock: () => T,
    onCounted: (through) => void journal.deleteThrough(through),
    log: (line) => logged.push(line),
  });
  counters.push(counter);
  return counter;
}

function committer(options: Partial<GroupCommitOptions> = {}) {
  const counter = threadCounter(options);
  return { counter, committer: new GroupCommitter(store, journal, () => T, options, counter) };
}

const sum = (column: string) =>
  store.db
    .prepare(`SELECT coalesce(sum(${column}), 0) FROM rollup_day WHERE dim = 0`)
    .pluck()
    .get() as number;
const journalRows = () =>
  journal.db
    .prepare('SELECT coalesce(sum(json_array_length(events)), 0) FROM journal')
    .pluck()
    .get() as number;

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ThreadCounter', () => {
  it('counts on its own thread what the event loop acknowledged, and the journal empties', async () => {
    const { committer: c } = committer({ countEveryMs: 60_000 });
    await c.recover();
    await Promise.all(Array.from({ length: 200 }, (_, i) => c.submit(pageview(`v${i % 150}`, `/p${i}`))));
    expect(sum('pageviews')).toBe(0); // acknowledged, not yet counted
    await c.settle();
    expect([sum('pageviews'), sum('visits'), sum('visitors')]).toEqual([200, 150, 150]);
    await until(() => journalRows() === 0, 'the counted entries leave the journal');
  });

  it('counts at start what the journal holds beyond the mark (a crash before the count)', async () => {
    await journal.append([pageview('v1', '/a'), pageview('v1', '/b')]);
    await journal.append([pageview('v2')]);
    const { committer: c } = committer();
    expect(await c.recover()).toBe(3);
    expect([sum('pageviews'), sum('visits')]).toEqual([3, 2]);
    await until(() => journalRows() === 0, 'the recovered entries leave the journal');
  });

  it('starts another thread when the thread dies, and counts every acknowledged event once', async () => {
    const { committer: c, counter } = committer({ countEveryMs: 60_000 });
    await c.recover();
    await Promise.all(Array.from({ length: 100 }, (_, i) => c.submit(pageview(`a${i}`))));
    await c.settle();
    // Acknowledged and sent to the thread, not yet counted: then the thread dies.
    await Promise.all(Array.from({ length: 50 }, (_, i) => c.submit(pageview(`b${i}`))));
    const dead = counter.thread;
    await dead.terminate();
    // Acknowledged while no thread runs: kept until the next one has read the journal.
    await Promise.all(Array.from({ length: 25 }, (_, i) => c.submit(pageview(`c${i}`))));
    await c.settle();
    expect(counter.thread).not.toBe(dead);
    expect(logged.join('\n')).toContain('the count thread stopped');
    expect(sum('pageviews')).toBe(175);
    await c.submit(pageview('d'));
    await c.settle();
    expect(sum('pageviews')).toBe(176);
  });

  it('refuses events while counting has fallen behind, and loses none it took', async () => {
    const { committer: c } = committer({ countEveryMs: 60_000, countAtEvents: 100 });
    await c.recover();
    // The thread is held (as the maintenance job holds it): it counts nothing until let go.
    let letGo = () => {};
    const held = c.exclusive(
      () =>
        new Promise<void>((resolve) => {
          letGo = resolve;
        }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const answers = [];
    for (let i = 0; i < 400; i++) {
      answers.push(c.submit(pageview(`v${i}`)));
      if (i % 50 === 49) await Promise.all(answers.filter((a) => a !== 'overloaded'));
    }
    const taken = answers.filter((answer) => answer !== 'overloaded');
    expect(taken.length).toBeGreaterThanOrEqual(200);
    expect(taken.length).toBeLessThan(400); // refused once 2 × countAtEvents were uncounted
    expect(c.submit(pageview('x'))).toBe('overloaded');
    letGo();
    await held;
    await c.settle();
    expect(sum('pageviews')).toBe(taken.length);
    const late = c.submit(pageview('late'));
    expect(late).not.toBe('overloaded'); // caught up: taken again
    await late;
    await c.settle();
    expect(sum('pageviews')).toBe(taken.length + 1);
  });

  it('counts nothing while an exclusive task runs, and everything after it', async () => {
    const { committer: c } = committer({ countEveryMs: 60_000 });
    await c.recover();
    await Promise.all(Array.from({ length: 30 }, (_, i) => c.submit(pageview(`v${i}`))));
    let settling: Promise<void> | undefined;
    const seen = await c.exclusive(async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => c.submit(pageview(`w${i}`))));
      settling = c.settle(); // asks for a count: it waits for this task
      await new Promise((resolve) => setTimeout(resolve, 50));
      return sum('pageviews');
    });
    expect(seen).toBe(0);
    await settling;
    expect(sum('pageviews')).toBe(40);
  });
});
