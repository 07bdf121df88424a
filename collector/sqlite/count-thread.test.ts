import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dayTotal, journalEvents, pageview, T } from '../../test/support/events.ts';
import {
  DEFAULT_GROUP_COMMIT,
  type GroupCommitOptions,
  GroupCommitter,
} from '../core/commit/group-commit.ts';
import { ThreadCounter } from './count-thread.ts';
import { journalPathFor, SqliteJournal } from './sqlite-journal.ts';
import { countPragmas, openSqliteStore, type SqliteStore } from './sqlite-store.ts';

// Real files and a real worker thread: the count thread opens the store and the journal itself.

let dir: string;
let path: string;
let store: SqliteStore;
let journal: SqliteJournal;
let counters: ThreadCounter[];
let logged: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glimt-count-thread-'));
  path = join(dir, 'glimt.db');
  // As the collector opens it: the count thread, not the store's side thread, checkpoints.
  store = openSqliteStore(path, 'normal', { checkpointedElsewhere: true });
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

/** `busyMs`: how long the thread's connection waits for a lock another holds (the store's: 5 s). */
function threadCounter(options: Partial<GroupCommitOptions> = {}, busyMs = 5000): ThreadCounter {
  const counter = new ThreadCounter({
    path,
    checkpoint: [path],
    pendingRows: (after, limit) => journal.pendingRows(after, limit),
    pragmas: [...countPragmas(path, 'normal'), `busy_timeout = ${busyMs}`],
    options: { ...DEFAULT_GROUP_COMMIT, ...options },
    clock: () => T,
    onCounted: (through) => void journal.deleteThrough(through),
    log: (line) => logged.push(line),
  });
  counters.push(counter);
  return counter;
}

function committer(options: Partial<GroupCommitOptions> = {}, busyMs?: number) {
  const counter = threadCounter(options, busyMs);
  return { counter, committer: new GroupCommitter(store, journal, () => T, options, counter) };
}

const sum = (column: string) => dayTotal(store.db, column);
const journalRows = () => journalEvents(journal.db);

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
    // More batches than the thread reads in one page (it asks the event loop for them).
    for (let i = 0; i < 80; i++) await journal.append([pageview(`w${i}`)]);
    const { committer: c } = committer();
    expect(await c.recover()).toBe(82);
    expect([sum('pageviews'), sum('visits')]).toEqual([82, 81]);
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
    const { committer: c } = committer({ countEveryMs: 60_000, countAtEvents: 100, refuseAtEvents: 300 });
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
    // Held past several counts' worth without a refusal (a maintenance hold refuses nothing),
    // then refused once refuseAtEvents were uncounted.
    expect(taken.length).toBeGreaterThanOrEqual(300);
    expect(taken.length).toBeLessThan(400);
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

  it('counts once the events that arrived while a failed count was replayed', async () => {
    const { committer: c } = committer({ countEveryMs: 60_000 }, 1000);
    await c.recover();
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.submit(pageview(`a${i}`))));
    await c.settle();
    // Another process holds the store's write lock longer than the thread waits (1 s): the
    // count fails, and the thread replays the journal, waiting again for the lock.
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.submit(pageview(`b${i}`))));
    const settling = c.settle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Acknowledged while the count waits: in the journal the replay reads, and queued for the thread.
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.submit(pageview(`c${i}`))));
    await new Promise((resolve) => setTimeout(resolve, 1400)); // the count has failed; the replay waits
    other.exec('ROLLBACK');
    other.close();
    await settling;
    await c.settle();
    expect(sum('pageviews')).toBe(30);
  });

  it('tries again to count what the journal holds when that fails at start', async () => {
    await journal.append([pageview('v1'), pageview('v2')]);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const { committer: c } = committer({ countEveryMs: 50 }, 50);
    let recovered: number | undefined;
    void c.recover().then((n) => {
      recovered = n;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recovered).toBeUndefined();
    expect(logged.join('\n')).toContain('trying again');
    other.exec('ROLLBACK');
    other.close();
    await until(() => recovered !== undefined, 'the recovery is tried again');
    expect(recovered).toBe(2);
    expect(sum('pageviews')).toBe(2);
  });

  it("makes the event loop's own store writes wait for the count's end without holding up the event loop", async () => {
    const { committer: c, counter } = committer({ countEveryMs: 60_000 });
    store.gateWrites(() => counter.between());
    await c.recover();
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.submit(pageview(`v${i}`))));
    // The thread's count waits for a lock another process holds, for 300 ms.
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const settling = c.settle();
    await new Promise((resolve) => setTimeout(resolve, 50));
    setTimeout(() => {
      other.exec('ROLLBACK');
      other.close();
    }, 300);
    // Without the gate, this write would wait for the lock inside SQLite, on the event loop,
    // and the timer above could not run to let it go.
    let ticked = false;
    const tick = new Promise<void>((resolve) =>
      setTimeout(() => {
        ticked = true;
        resolve();
      }, 20),
    );
    const salted = store.salt(1, 20_000, new Uint8Array(32).fill(7)).then(() => ticked);
    await tick;
    expect(await salted, 'the event loop ran while the write waited').toBe(true);
    await settling;
    expect(sum('pageviews')).toBe(20);
  });

  it('checkpoints the WAL its counts write, about once a second', async () => {
    const { committer: c } = committer({ countEveryMs: 60_000 });
    await c.recover();
    await Promise.all(Array.from({ length: 500 }, (_, i) => c.submit(pageview(`v${i}`, `/p${i}`))));
    await c.settle();
    // The WAL index (-shm): mxFrame, the WAL's last frame (header, offset 16), and nBackfill,
    // the frames copied into the database (checkpoint info, offset 96). No connection here
    // checkpoints on its own (wal_autocheckpoint = 0).
    const walIndex = () => {
      const shm = readFileSync(`${path}-shm`);
      return { frames: shm.readUInt32LE(16), copied: shm.readUInt32LE(96) };
    };
    expect(walIndex().frames).toBeGreaterThan(0);
    await until(() => {
      const { frames, copied } = walIndex();
      return copied === frames;
    }, 'the count thread checkpoints');
  });
});
