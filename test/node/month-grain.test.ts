/**
 * The month grain answers exactly what the day grain answered: completed months folded by
 * the maintenance job must not change a single number of a whole-day range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';
import { closeAgents, postEvent } from '../support/post.ts';
import { ADMIN_TOKEN } from '../support/server.ts';

let server: InProcessServer;
const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 25, 9);
const UA = (n: number) =>
  `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${n} Safari/605.1.15`;

beforeAll(async () => {
  server = await startInProcess({ 'example.com': {} }, { GLIMT_GEO: 'off' });
  // 40 days from late January to early March: January and February are complete by March.
  for (let day = 0; day < 40; day++) {
    for (let visitor = 0; visitor < 4; visitor++) {
      if ((day + visitor) % 3 === 0) continue;
      const at = START + day * DAY + visitor * 600_000;
      const pages = ['/', `/p${(day + visitor) % 5}`, visitor % 2 ? '/pricing' : '/docs'];
      for (const [i, page] of pages.slice(0, 1 + ((day * visitor) % 3)).entries()) {
        const response = await postEvent(
          server.url,
          {
            site: 'example.com',
            name: 'pageview',
            url: `https://example.com${page}`,
            referrer: i === 0 && visitor % 2 ? 'https://www.google.com/' : '',
          },
          { userAgent: UA(visitor), headers: { 'x-test-time': String(at + i * 60_000) } },
        );
        expect(response.status).toBe(202);
      }
    }
  }
});
afterAll(async () => {
  closeAgents();
  await server.close();
});

const get = async (path: string) => {
  const response = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(response.status, path).toBe(200);
  return response.json();
};

const QUERIES = [
  '/api/stats/aggregate?site=example.com&from=2026-01-20&to=2026-03-10',
  '/api/stats/aggregate?site=example.com&from=2026-02-01&to=2026-02-28',
  '/api/stats/breakdown?site=example.com&from=2026-01-20&to=2026-03-10&by=page&limit=1000',
  '/api/stats/breakdown?site=example.com&from=2026-02-01&to=2026-03-03&by=source&limit=1000',
  '/api/stats/breakdown?site=example.com&from=2026-01-26&to=2026-02-28&by=exit_page&limit=1000',
  '/api/stats/aggregate?site=example.com&from=2026-02-01&to=2026-02-28&filter=page:/pricing',
  '/api/stats/breakdown?site=example.com&from=2026-03-01&to=2026-03-05&by=page&limit=1000',
  '/api/stats/breakdown?site=example.com&from=2026-03-01&to=2026-03-03&by=referrer&limit=1000',
  '/api/stats/timeseries?site=example.com&from=2026-01-01&to=2026-03-31&interval=month',
  // Most of January and of February: their month rows minus the days outside the range.
  '/api/stats/aggregate?site=example.com&from=2026-01-03&to=2026-02-25',
  '/api/stats/breakdown?site=example.com&from=2026-01-03&to=2026-02-25&by=page&limit=1000',
  '/api/stats/breakdown?site=example.com&from=2026-01-03&to=2026-02-25&by=exit_page&limit=1000',
  // From the first day with data (January 25th) or just after it: January's month row, with
  // nothing or two days taken off, since no day before the 25th holds rows.
  '/api/stats/aggregate?site=example.com&from=2026-01-25&to=2026-02-28',
  '/api/stats/breakdown?site=example.com&from=2026-01-25&to=2026-01-31&by=page&limit=1000',
  '/api/stats/breakdown?site=example.com&from=2026-01-27&to=2026-02-15&by=source&limit=1000',
];

describe('the month grain', () => {
  it('folds completed months and answers every whole-day range exactly as the days did', async () => {
    const before = await Promise.all(QUERIES.map(get));
    await server.runAt(Date.UTC(2026, 2, 6, 12), () => server.runtime.maintenance.run());
    const folded = server.runtime.store.db
      .prepare('SELECT month, through_day FROM folded_month ORDER BY month')
      .all() as { month: number; through_day: number }[];
    // Every completed month inside the retention (25 months), then March through yesterday.
    expect(folded.slice(-3)).toEqual([
      { month: 2026 * 12, through_day: Date.UTC(2026, 0, 31) / DAY },
      { month: 2026 * 12 + 1, through_day: Date.UTC(2026, 1, 28) / DAY },
      { month: 2026 * 12 + 2, through_day: Date.UTC(2026, 2, 5) / DAY },
    ]);
    const monthRows = server.runtime.store.db.prepare('SELECT count(*) FROM rollup_month').pluck().get();
    expect(monthRows).toBeGreaterThan(0);
    const after = await Promise.all(QUERIES.map(get));
    for (const [i, query] of QUERIES.entries()) expect(after[i], query).toEqual(before[i]);
  });

  it('is what ranges over most of a month read (a marked change to a month row shows in the answer)', async () => {
    const db = server.runtime.store.db;
    const ranges = [
      QUERIES[1] as string, // all of February
      '/api/stats/aggregate?site=example.com&from=2026-02-02&to=2026-02-28', // the month row minus its first day
      '/api/stats/aggregate?site=example.com&from=2026-02-10&to=2026-02-12', // a few days: day rows
    ];
    const pageviews = async () =>
      Promise.all(ranges.map(async (path) => ((await get(path)) as { pageviews: number }).pageviews));
    const before = await pageviews();
    db.prepare('UPDATE rollup_month SET pageviews = pageviews + 1000 WHERE dim = 0 AND time = ?').run(
      2026 * 12 + 1,
    );
    const after = await pageviews();
    db.prepare('UPDATE rollup_month SET pageviews = pageviews - 1000 WHERE dim = 0 AND time = ?').run(
      2026 * 12 + 1,
    );
    expect(after.map((n, i) => n - (before[i] as number))).toEqual([1000, 1000, 0]);
  });

  it('is what a range from the first day with data reads, though the month began before it', async () => {
    const db = server.runtime.store.db;
    const path = '/api/stats/aggregate?site=example.com&from=2026-01-25&to=2026-01-31';
    const pageviews = async () => ((await get(path)) as { pageviews: number }).pageviews;
    const before = await pageviews();
    const mark = (n: number) =>
      db
        .prepare('UPDATE rollup_month SET pageviews = pageviews + ? WHERE dim = 0 AND time = ?')
        .run(n, 2026 * 12);
    mark(1000);
    const after = await pageviews();
    mark(-1000);
    expect(after - before).toBe(1000);
  });

  it("holds the events of a month's last second, still uncounted when the month is folded", async () => {
    // A fresh site: its first day is the 30th, so a range from it reads January's month row.
    await server.runtime.store.addSite('late.example', { timezone: 'UTC' });
    await server.runtime.sites.reload();
    const post = (at: number, n: number) =>
      postEvent(
        server.url,
        { site: 'late.example', name: 'pageview', url: `https://late.example/p${n}` },
        { userAgent: UA(n), headers: { 'x-test-time': String(at) } },
      );
    for (let n = 0; n < 5; n++) expect((await post(Date.UTC(2027, 0, 30, 12), n)).status).toBe(202);
    await get('/api/stats/aggregate?site=late.example&from=2027-01-30&to=2027-01-30'); // counted
    // The last half second of January: acknowledged, and in the open count (counts run about once a second).
    for (let n = 10; n < 13; n++) {
      expect((await post(Date.UTC(2027, 0, 31, 23, 59, 59, 500), n)).status).toBe(202);
    }
    // The maintenance job's first run after midnight folds January through the 31st.
    await server.runAt(Date.UTC(2027, 1, 1, 0, 0, 30), () => server.runtime.maintenance.run());
    const pageviews = async (from: string, to: string) =>
      ((await get(`/api/stats/aggregate?site=late.example&from=${from}&to=${to}`)) as { pageviews: number })
        .pageviews;
    expect(await pageviews('2027-01-30', '2027-01-31')).toBe(8);
    expect(await pageviews('2027-01-01', '2027-01-31')).toBe(8);
    expect(await pageviews('2027-01-30', '2027-02-05')).toBe(8);
    expect(await pageviews('2027-01-31', '2027-01-31')).toBe(3);
  });
});
