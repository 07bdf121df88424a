/**
 * Privacy invariant 3: a visitor is a keyed hash with a daily salt of 32 CSPRNG bytes,
 * rotated at midnight in the site's zone and destroyed within 48 hours; no hash
 * outlives its salt. Real app, real HTTP, real SQLite file; the clock is the harness's.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';
import { postEvent } from '../support/post.ts';

let server: InProcessServer;
const DAY1 = Date.UTC(2026, 0, 14, 22, 30); // 23:30 in Oslo (winter, UTC+1)
const DAY2 = Date.UTC(2026, 0, 14, 23, 30); // 00:30 on the 15th in Oslo, still the 14th in UTC

beforeAll(async () => {
  server = await startInProcess({ 'oslo.example': { timezone: 'Europe/Oslo' }, 'utc.example': {} });
});
afterAll(() => server.close());

const view = (site: string, at: number, page = '/') =>
  postEvent(
    server.url,
    { site, name: 'pageview', url: `https://${site}${page}` },
    { headers: { 'x-test-time': String(at) } },
  );

const db = () => server.runtime.store.db;
/** Visitor states reach the database with the next count (about a second); make it now. */
const settle = () => server.runtime.committer.settle();
const salts = () =>
  db().prepare('SELECT site_id, day, salt FROM salt ORDER BY site_id, day').all() as {
    site_id: number;
    day: number;
    salt: Buffer;
  }[];
const visitorHashes = () =>
  db().prepare('SELECT hash, day FROM visitor').all() as { hash: string; day: number }[];

describe('daily salts', () => {
  it('are 32 random bytes per site and local day', async () => {
    expect((await view('oslo.example', DAY1)).status).toBe(202);
    expect((await view('utc.example', DAY1)).status).toBe(202);
    const rows = salts();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.salt).toHaveLength(32);
      expect(new Set(row.salt).size).toBeGreaterThan(8); // not a constant or a counter
    }
    expect(rows[0]?.salt.equals(rows[1]?.salt as Buffer)).toBe(false);
  });

  it('rotate at the site’s local midnight: the same client becomes another hash', async () => {
    await settle();
    const before = new Set(visitorHashes().map((v) => v.hash));
    expect((await view('oslo.example', DAY2)).status).toBe(202); // a new Oslo day
    expect((await view('utc.example', DAY2)).status).toBe(202); // the same UTC day
    await settle();
    const after = visitorHashes().filter((v) => !before.has(v.hash));
    expect(after).toHaveLength(1); // only Oslo's client got a new hash
    expect(salts().filter((s) => s.site_id === 1)).toHaveLength(2);
  });

  it('are destroyed, with their hashes, by the maintenance job after their day, leaving no bytes behind', async () => {
    const oldSalt = salts().find(
      (s) => s.site_id === 1 && s.day === Math.min(...salts().map((x) => x.day)),
    )?.salt;
    expect(oldSalt).toBeDefined();
    const oldHashes = visitorHashes().map((v) => v.hash);
    // The maintenance job, run one hour into the next UTC day: both sites are past the 14th.
    await server.runAt(Date.UTC(2026, 0, 15, 1), () => server.runtime.maintenance.run());
    const daysLeft = salts().map((s) => s.day);
    expect(Math.min(...daysLeft)).toBe(Date.UTC(2026, 0, 15) / 86_400_000);
    const stale = visitorHashes().filter((v) => v.day < Date.UTC(2026, 0, 15) / 86_400_000);
    expect(stale).toEqual([]);
    // secure_delete zeroes the freed pages, and the WALs are checkpointed and truncated: the
    // store's, and the journal's, where every hash passed on its way in (and its rollback
    // journal, emptied after each append).
    const journal = `${server.db}.journal`;
    const bytes = Buffer.concat(
      [server.db, `${server.db}-wal`, journal, `${journal}-wal`, `${journal}-journal`].map((file) => {
        try {
          return readFileSync(file);
        } catch {
          return Buffer.alloc(0);
        }
      }),
    );
    expect(bytes.includes(oldSalt as Buffer)).toBe(false);
    for (const hash of oldHashes.filter((h) => !visitorHashes().some((v) => v.hash === h))) {
      expect(bytes.includes(Buffer.from(hash))).toBe(false);
    }
  });

  it('are forgotten in memory too: the next day gets a fresh salt', async () => {
    expect((await view('utc.example', Date.UTC(2026, 0, 15, 2))).status).toBe(202);
    const utc = salts().filter((s) => s.site_id === 2);
    expect(utc).toHaveLength(1);
    expect(utc[0]?.day).toBe(Date.UTC(2026, 0, 15) / 86_400_000);
  });
});

describe('a site removed while Glimt runs', () => {
  // `glimt sites remove` runs in another process; here the same store call, on the same file.
  let other: InProcessServer;
  const T0 = Date.UTC(2026, 0, 20, 12);
  beforeAll(async () => {
    other = await startInProcess({ 'gone.example': {}, 'stays.example': {} });
  });
  afterAll(() => other.close());

  it('loses its salt and visitor states in memory and in storage, its last second of events too', async () => {
    await other.runAt(T0, () => other.runtime.maintenance.run());
    const post = (site: string) =>
      postEvent(
        other.url,
        { site, name: 'pageview', url: `https://${site}/` },
        { headers: { 'x-test-time': String(T0 + 1000) } },
      );
    expect((await post('gone.example')).status).toBe(202); // in the open count, not yet written
    expect((await post('stays.example')).status).toBe(202);
    const store = other.runtime.store;
    const id = other.runtime.sites.known('gone.example')?.id as number;
    const day = T0 / 86_400_000 - 0.5; // 2026-01-20, UTC
    expect(other.runtime.salts.held(id, day)).toBeDefined();
    expect(await store.removeSite('gone.example')).toBe(true);

    await other.runAt(T0 + 60_000, () => other.runtime.maintenance.run());
    expect(other.runtime.salts.held(id, day)).toBeUndefined();
    for (const table of ['salt', 'visitor', 'rollup_hour', 'rollup_day', 'dropped']) {
      const rows = store.db.prepare(`SELECT count(*) FROM ${table} WHERE site_id = ?`).pluck().get(id);
      expect(rows, table).toBe(0);
    }
    // The other site keeps what it has.
    const kept = store.db.prepare('SELECT count(*) FROM visitor WHERE site_id <> ?').pluck().get(id);
    expect(kept).toBe(1);
  });
});
