import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_VISIT_VALUES, pageview as pageviewOf, T } from '../../test/support/events.ts';
import { aggregateBatch } from '../core/aggregate/aggregate-batch.ts';
import type { CollectedEvent } from '../core/pipeline/collected-event.ts';
import type { VisitGrainQuery, VisitGrainRow } from '../core/store.ts';
import { countChunks, runCountStep } from './sqlite-count.ts';
import { journalPathFor, SqliteJournal } from './sqlite-journal.ts';
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts';
import { LABEL_SQL, visitGrainSql } from './visit-grain.ts';

const DAY = T / 86_400_000;
const pageview = (visitor: string): CollectedEvent => pageviewOf(visitor, '/', { source: 'Direct' });

let dir: string;
let path: string;
let store: SqliteStore;
let journal: SqliteJournal;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glimt-store-'));
  path = join(dir, 'glimt.db');
  store = openSqliteStore(path);
  journal = new SqliteJournal(store, journalPathFor(path));
  await store.addSite('example.com', {});
});
afterEach(async () => {
  journal.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteStore.commitCounted (the count that yields)', () => {
  it('rolls back whole when it fails midway, while a salt stored meanwhile commits on its own', async () => {
    // 20,000 visitors: the count yields many times. The last visitor's state fails it.
    const events = Array.from({ length: 20_000 }, (_, i) => pageview(`v${i}`));
    events.push(pageview('v-last'));
    store.db.exec(`CREATE TRIGGER fail_count BEFORE INSERT ON visitor WHEN NEW.hash = 'v-last'
      BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const through = await journal.append(events);
    let settled = false;
    const count = journal.commitThrough(aggregateBatch(events, new Map()), T, through).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled, 'the count is still running').toBe(false);
    // The first event of a new day, mid-count: its salt must not share the count's fate.
    const salt = store.salt(1, DAY + 1, new Uint8Array(32).fill(7));
    await expect(count).rejects.toThrow(/disk full/);
    expect(await salt).toEqual(new Uint8Array(32).fill(7));

    const other = new Database(path, { readonly: true });
    try {
      expect(
        other
          .prepare('SELECT salt FROM salt WHERE day = ?')
          .pluck()
          .get(DAY + 1),
      ).toEqual(Buffer.alloc(32, 7));
      expect(other.prepare('SELECT count(*) FROM rollup_day').pluck().get()).toBe(0);
      expect(other.prepare('SELECT count(*) FROM visit').pluck().get()).toBe(0);
    } finally {
      other.close();
    }
    expect(store.journalMark()).toBe(0);
    expect((await journal.pending()).length).toBe(events.length);

    // Counted again once the fault is gone: the labels the failed count created were rolled
    // back with it, so none of the ids it cached may be used now.
    store.db.exec('DROP TRIGGER fail_count');
    await journal.commitThrough(aggregateBatch(events, new Map()), T, through);
    const bySource = await store.visitGrain({
      siteId: 1,
      from: T / 1000,
      to: T / 1000,
      filters: new Map(),
      measure: 'visits',
      groupBy: 'source',
      period: 'all',
    });
    expect(bySource.map((row) => [row.value, row.visits])).toEqual([['Direct', events.length]]);
    expect(await journal.pending()).toEqual([]);
  });

  it('leaves no counted entry in the journal, even when a crash cut the cleanup after a count short', async () => {
    const events = [pageview('a'), pageview('b')];
    const through = await journal.append(events);
    // The count commits (the mark moves) and the process dies before the journal is emptied.
    await store.commitCounted(aggregateBatch(events, new Map()), T, through);
    const rows = () => journal.db.prepare('SELECT count(*) FROM journal').pluck().get() as number;
    expect(rows()).toBe(1);
    expect(await journal.pending()).toEqual([]); // counted: never replayed
    journal.close();
    journal = new SqliteJournal(store, journalPathFor(path)); // the restart
    expect(rows(), 'hashes in counted entries are gone at start').toBe(0);
    // New ids continue above the mark.
    expect(await journal.append([pageview('c')])).toBeGreaterThan(through);
  });

  it('keeps a label as long as a row of its site uses it, by the month of its last use', async () => {
    const first = pageview('a');
    const later = {
      ...pageview('b'),
      time: T + 61 * 86_400_000,
      bucket: T / 1000 + 61 * 86_400,
      day: DAY + 61,
    };
    later.visit = { ...later.visit, source: 'Bing' };
    await store.commit(aggregateBatch([first], new Map()), T);
    await store.commit(aggregateBatch([later], new Map()), T);
    const labels = () =>
      store.db.prepare('SELECT value FROM label WHERE dim = 4 ORDER BY value').pluck().all() as string[];
    expect(labels()).toEqual(['Bing', 'Direct']);
    // Retention keeps what happened from two months later on: the first visit goes, and its source's label with it.
    await store.purge(1, DAY, later.bucket, later.day);
    expect(labels()).toEqual(['Bing']);
    await store.removeSite('example.com');
    expect(store.db.prepare('SELECT count(*) FROM label').pluck().get()).toBe(0);
  });

  it('answers stats queries off the event loop: a long one does not hold up anything else', async () => {
    // 300,000 visits, written straight into the visit grain.
    store.db.exec(`INSERT INTO label (id, site_id, dim, value, month) VALUES (1, 1, 4, 'Direct', 0);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
      INSERT INTO visit SELECT 1, ${T / 1000}, i, ${DAY}, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 FROM n`);
    let turns = 0;
    let done = false;
    const spin = () => {
      turns++;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    const rows = await store.visitGrain({
      siteId: 1,
      from: T / 1000,
      to: T / 1000,
      filters: new Map([['source', ['Direct']]]),
      measure: 'visits',
      period: 'all',
    });
    done = true;
    expect(rows.map((row) => row.visits)).toEqual([300_000]);
    // On the event loop, the query would have run in one go: no turn in between.
    expect(turns).toBeGreaterThan(10);
  });

  it('reads a long range of the visit grain in parts whose rows add up to the whole', async () => {
    // 100 days, a visit a day from each of 3 visitors, two pages each, alternating sources.
    const events: CollectedEvent[] = [];
    for (let d = 0; d < 100; d++) {
      for (let v = 0; v < 3; v++) {
        for (const page of ['/a', `/p${d % 7}`]) {
          const time = T + d * 86_400_000 + v * 60_000;
          events.push({
            ...pageview(`v${v}-${d}`),
            time,
            bucket: Math.floor(time / 3_600_000) * 3600,
            day: DAY + d,
            page,
            visit: { ...NO_VISIT_VALUES, source: v === 0 ? 'Google' : 'Direct', browser: `B${d % 3}` },
          });
        }
      }
    }
    await store.commit(aggregateBatch(events, new Map()), T);
    const from = T / 1000;
    const to = T / 1000 + 100 * 86_400;
    for (const query of [
      { measure: 'visits', groupBy: 'browser', period: 'all', filters: new Map([['source', ['Google']]]) },
      { measure: 'pages', groupBy: 'page', period: 'day', filters: new Map([['source', ['Direct']]]) },
      { measure: 'pages', groupBy: 'browser', period: 'all', filters: new Map([['page', ['/p3']]]) },
    ] as const) {
      const whole = { siteId: 1, from, to, ...query } as VisitGrainQuery;
      const { sql, params } = visitGrainSql(whole);
      const sorted = (rows: VisitGrainRow[]) =>
        [...rows].sort((a, b) => `${a.value}${a.time}`.localeCompare(`${b.value}${b.time}`));
      const inParts = await store.visitGrain(whole);
      expect(inParts.length).toBeGreaterThan(0);
      expect(sorted(inParts), `${query.measure} by ${query.groupBy}`).toEqual(
        sorted(store.db.prepare(sql).all(...params) as VisitGrainRow[]),
      );
    }
  });

  it('writes a count while a long stats query runs: neither waits for the other', async () => {
    store.db.exec(`INSERT INTO label (id, site_id, dim, value, month) VALUES (1, 1, 4, 'Direct', 0);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
      INSERT INTO visit SELECT 1, ${T / 1000}, i, ${DAY}, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 FROM n`);
    await store.visitGrain({
      siteId: 1,
      from: 0,
      to: 0,
      filters: new Map(),
      measure: 'visits',
      period: 'all',
    });
    const order: string[] = [];
    const query = store
      .visitGrain({
        siteId: 1,
        from: T / 1000,
        to: T / 1000,
        filters: new Map([['source', ['Direct']]]),
        measure: 'visits',
        groupBy: 'browser',
        period: 'all',
      })
      .then(() => order.push('query'));
    const events = [pageview('a'), pageview('b')];
    const through = await journal.append(events);
    await journal.commitThrough(aggregateBatch(events, new Map()), T, through);
    order.push('count');
    await query;
    // On one thread, the count would have waited for the query to finish.
    expect(order).toEqual(['count', 'query']);
    expect(store.journalMark()).toBe(through);
  });
});

describe('the journal after a crash of the machine', () => {
  it('starts over when its file is damaged, instead of refusing to start', async () => {
    await journal.append([pageview('a')]);
    journal.close();
    // What an unsynced file can look like after a power loss: its pages half written.
    const file = journalPathFor(path);
    const bytes = readFileSync(file);
    bytes.fill(0x5a, 100, 4096 + 512);
    writeFileSync(file, bytes);
    journal = new SqliteJournal(store, file);
    expect(await journal.pending()).toEqual([]);
    const id = await journal.append([pageview('b')]);
    expect((await journal.pending()).map((p) => p.id)).toEqual([id]);
  });

  it('is left alone while another collector holds it: the second refuses to start', async () => {
    const id = await journal.append([pageview('a')]); // this collector now holds the journal's lock
    const file = journalPathFor(path);
    expect(() => new SqliteJournal(store, file, 'normal', 300)).toThrow(/held by another glimt serve/);
    // Not taken for damage: the live journal is still there, with its entry.
    expect((await journal.pending()).map((p) => p.id)).toEqual([id]);
    expect(await journal.append([pageview('b')])).toBe(id + 1);
  });
});

describe('runCountStep', () => {
  it('runs from its source text alone, as the side thread evaluates it', async () => {
    // The thread gets `runCountStep.toString()`: it must refer to nothing outside itself.
    const evaluate = new Function('__name', `return (${runCountStep.toString()});`);
    const standalone = evaluate((f: unknown) => f) as typeof runCountStep;
    const cache = { statements: new Map(), labels: new Map() };
    const events = [pageview('a'), pageview('b')];
    const through = await journal.append(events);
    standalone(store.db, { begin: true }, cache, 10);
    for (const rows of countChunks(aggregateBatch(events, new Map()), T, through, {
      ms: 1,
      catchUp: false,
    })) {
      standalone(
        store.db,
        { rows, month: 0, labelSql: { upsert: LABEL_SQL.upsert, find: LABEL_SQL.find } },
        cache,
        10,
      );
    }
    standalone(store.db, { commit: true }, cache, 10);
    expect(store.journalMark()).toBe(through);
    expect(store.db.prepare('SELECT count(*) FROM visit').pluck().get()).toBe(2);
  });
});

describe('labels when another process removes a site', () => {
  it('forgets the cached label ids of a site id that another process freed and reused', async () => {
    const counted = async (visitor: string, source: string) => {
      const event = { ...pageview(visitor), visit: { ...NO_VISIT_VALUES, source } };
      const through = await journal.append([event]);
      await journal.commitThrough(aggregateBatch([event], new Map()), T, through);
    };
    const [site] = await store.listSites(); // what the server's registry sees
    await counted('a', 'Google'); // caches the label id of (site 1, source, Google)
    // The CLI, in another process: remove the site, add another, which takes id 1 again.
    const cli = new Database(path);
    cli.pragma('foreign_keys = ON');
    for (const table of ['rollup_hour', 'rollup_day', 'visitor', 'salt', 'visit', 'visit_page', 'label']) {
      cli.prepare(`DELETE FROM ${table} WHERE site_id = 1`).run();
    }
    cli.prepare('DELETE FROM site WHERE id = 1').run();
    cli.prepare("INSERT INTO site (id, domain, created_at) VALUES (1, 'other.example', 0)").run();
    cli.close();
    expect((await store.listSites()).map((s) => [s.id, s.domain])).toEqual([[site?.id, 'other.example']]);
    await counted('b', 'Google');
    const rows = await store.visitGrain({
      siteId: 1,
      from: T / 1000,
      to: T / 1000,
      filters: new Map([['source', ['Google']]]),
      measure: 'visits',
      period: 'all',
    });
    // With the old id, the visit would name a label that is gone, and no filter would find it.
    expect(rows.map((row) => row.visits)).toEqual([1]);
  });
});
