import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CountCache, runCountStep } from './sqlite-count.ts';
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts';
import { LABEL_SQL, labelKey } from './visit-grain.ts';

// A real database file, migrated as the collector migrates it; a table of the test's own
// receives the label ids that the count hands out.

let dir: string;
let store: SqliteStore;
let siteId: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glimt-count-'));
  store = openSqliteStore(join(dir, 'glimt.db'));
  siteId = (await store.addSite('example.com', {})).id;
  store.db.exec('CREATE TABLE seen (site_id INTEGER, label INTEGER)');
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const DIM = 1;

function count(cache: CountCache, texts: readonly string[], max: number) {
  const rows = [
    {
      sql: 'INSERT INTO seen VALUES (?, ?)',
      arity: 2,
      labels: [-1, DIM],
      values: texts.flatMap((t) => [siteId, t]),
    },
  ];
  const step = { rows, month: 202611, labelSql: { upsert: LABEL_SQL.upsert, find: LABEL_SQL.find } };
  runCountStep(store.db, { begin: true }, cache, max);
  runCountStep(store.db, step, cache, max);
  runCountStep(store.db, { commit: true }, cache, max);
}

describe('the label-id cache', () => {
  it('stays at its bound by letting the oldest go, and ids stay right', () => {
    const cache: CountCache = { statements: new Map(), labels: new Map() };
    count(cache, ['/a', '/b', '/c', '/d', '/e'], 3);

    // The newest three, not a cache that started over when it was full.
    expect([...cache.labels.keys()]).toEqual(['/c', '/d', '/e'].map((t) => labelKey(siteId, DIM, t)));

    // A label that left the cache comes back with the id it has in the database.
    count(cache, ['/a', '/e'], 3);
    const ids = store.db
      .prepare('SELECT value, id FROM label WHERE site_id = ? AND dim = ?')
      .all(siteId, DIM) as { value: string; id: number }[];
    const idOf = new Map(ids.map((r) => [r.value, r.id]));
    expect(idOf.size).toBe(5);
    const seen = (store.db.prepare('SELECT label FROM seen').pluck().all() as number[]).map(
      (id) => [...idOf].find(([, v]) => v === id)?.[0],
    );
    expect(seen).toEqual(['/a', '/b', '/c', '/d', '/e', '/a', '/e']);
    expect(cache.labels.size).toBe(3);
  });
});
