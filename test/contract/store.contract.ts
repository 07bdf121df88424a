/**
 * @module The store contract: what every Store adapter must do, as one vitest suite.
 *
 * `storeContract(name, open)` registers the suite; each adapter's runtime suite calls it
 * with a factory for a fresh, migrated, empty store: SQLite in `test/node/store-sqlite.test.ts`
 * (Node), D1 in `test/workers/store-d1.test.ts` (workerd). The same assertions on both are
 * what lets the core treat them as one.
 *
 * The suite pins storage, not aggregation: it hands `commit` a batch of cells, drops and
 * visitor states it wrote by hand, shaped like `aggregateBatch`'s result (the store reads a
 * batch only through `deltas.cells()`, `deltas.drops()`, the visit grain's `deltas.visits()`,
 * `visitPages()`, `visitEvents()`, and `touched`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchResult } from '../../collector/core/aggregate/aggregate-batch.ts';
import type { Cell, DropCell, VisitCell, VisitItemCell } from '../../collector/core/aggregate/cells.ts';
import {
  newVisitorState,
  type Visit,
  type VisitorState,
} from '../../collector/core/aggregate/visitor-state.ts';
import { COUNTERS, type Counters } from '../../collector/core/dimensions.ts';
import type { RollupQuery, Store, VisitGrainQuery } from '../../collector/core/store.ts';

const HOUR = 3600;
const T0 = 1_772_841_600; // 2026-03-07T00:00:00Z, a bucket
const DAY0 = T0 / 86_400;

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('sites', () => {
      it('adds with defaults and options, lists by domain', async () => {
        const b = await store.addSite('b.example', {});
        const a = await store.addSite('a.example', {
          timezone: 'Europe/Oslo',
          honourOptOut: false,
          retentionMonths: 3,
        });
        expect(b).toEqual({
          id: b.id,
          domain: 'b.example',
          timezone: 'UTC',
          honourOptOut: true,
          retentionMonths: 25,
        });
        expect(a).toMatchObject({
          domain: 'a.example',
          timezone: 'Europe/Oslo',
          honourOptOut: false,
          retentionMonths: 3,
        });
        expect(a.id).not.toBe(b.id);
        expect(await store.listSites()).toEqual([a, b]);
      });

      it('refuses a domain twice', async () => {
        await store.addSite('a.example', {});
        await expect(store.addSite('a.example', {})).rejects.toThrow();
        expect(await store.listSites()).toHaveLength(1);
      });

      it('updates only what is given', async () => {
        const site = await store.addSite('a.example', { retentionMonths: 6 });
        expect(await store.updateSite('a.example', { timezone: 'Asia/Kolkata' })).toEqual({
          ...site,
          timezone: 'Asia/Kolkata',
        });
        expect(await store.updateSite('a.example', { honourOptOut: false })).toEqual({
          ...site,
          timezone: 'Asia/Kolkata',
          honourOptOut: false,
        });
        expect(await store.updateSite('missing.example', { timezone: 'UTC' })).toBeUndefined();
      });

      it('removes a site with all its rows, and only its rows', async () => {
        const gone = await store.addSite('gone.example', {});
        const kept = await store.addSite('kept.example', {});
        for (const site of [gone, kept]) {
          await store.salt(site.id, DAY0, bytes(32, site.id));
          await store.addToken(`share-${site.id}`, { kind: 'share', siteId: site.id });
          await store.commit(
            batch(
              [hourCell(site.id, 0, T0, '', { pageviews: 1 })],
              [drop(site.id, T0, 'bot', 1)],
              [[`hash-${site.id}`, visitorState(site.id, DAY0)]],
            ),
            1000,
          );
        }
        expect(await store.removeSite('gone.example')).toBe(true);
        expect(await store.removeSite('gone.example')).toBe(false);
        expect((await store.listSites()).map((s) => s.domain)).toEqual(['kept.example']);
        expect(await store.findToken(`share-${gone.id}`)).toBeUndefined();
        expect(await store.findToken(`share-${kept.id}`)).toEqual({ kind: 'share', siteId: kept.id });
        expect(await store.rollup(query(gone.id, { groupBy: 'all' }))).toEqual([row('', 0, {})]);
        expect(await store.rollup(query(kept.id, { groupBy: 'all' }))).toEqual([
          row('', 0, { pageviews: 1 }),
        ]);
        expect(await store.dropped(gone.id, 0, T0 * 2)).toEqual([]);
        expect([...(await store.loadVisitors([`hash-${gone.id}`, `hash-${kept.id}`])).keys()]).toEqual([
          `hash-${kept.id}`,
        ]);
        // A new site with the old domain starts with a fresh salt.
        const again = await store.addSite('gone.example', {});
        expect(await store.salt(again.id, DAY0, bytes(32, 99))).toEqual(bytes(32, 99));
      });
    });

    describe('tokens', () => {
      it('stores admin and share tokens by hash', async () => {
        const site = await store.addSite('a.example', {});
        expect(await store.hasAdminToken()).toBe(false);
        await store.addToken('share-hash', { kind: 'share', siteId: site.id });
        expect(await store.hasAdminToken()).toBe(false);
        await store.addToken('admin-hash', { kind: 'admin', siteId: null });
        expect(await store.hasAdminToken()).toBe(true);
        expect(await store.findToken('admin-hash')).toEqual({ kind: 'admin', siteId: null });
        expect(await store.findToken('share-hash')).toEqual({ kind: 'share', siteId: site.id });
        expect(await store.findToken('other-hash')).toBeUndefined();
        await expect(store.addToken('admin-hash', { kind: 'admin', siteId: null })).rejects.toThrow();
      });

      it('revokes every admin token but the one kept, and the admin logins with them', async () => {
        const site = await store.addSite('a.example', {});
        const now = T0 * 1000;
        await store.addToken('old-admin', { kind: 'admin', siteId: null });
        await store.addToken('new-admin', { kind: 'admin', siteId: null });
        await store.addToken('share', { kind: 'share', siteId: site.id });
        await store.addSession('admin-login', { kind: 'admin', siteId: null, expiresAt: now + 1000 }, now);
        await store.addSession('share-login', { kind: 'share', siteId: site.id, expiresAt: now + 1000 }, now);
        expect(await store.revokeOtherAdminTokens('new-admin')).toBe(1);
        expect(await store.findToken('old-admin')).toBeUndefined();
        expect(await store.findToken('new-admin')).toEqual({ kind: 'admin', siteId: null });
        expect(await store.findToken('share')).toEqual({ kind: 'share', siteId: site.id });
        expect(await store.findSession('admin-login', now)).toBeUndefined();
        expect(await store.findSession('share-login', now)).toBeDefined();
        // Unchanged: nothing revoked, and a login made since stays.
        await store.addSession('admin-login-2', { kind: 'admin', siteId: null, expiresAt: now + 1000 }, now);
        expect(await store.revokeOtherAdminTokens('new-admin')).toBe(0);
        expect(await store.findSession('admin-login-2', now)).toBeDefined();
      });
    });

    describe('dashboard sessions', () => {
      const NOW = T0 * 1000;
      it('finds a session by hash until it expires, and forgets a deleted one', async () => {
        const site = await store.addSite('a.example', {});
        await store.addSession('admin-session', { kind: 'admin', siteId: null, expiresAt: NOW + 1000 }, NOW);
        await store.addSession('share-session', { kind: 'share', siteId: site.id, expiresAt: NOW + 5 }, NOW);
        expect(await store.findSession('admin-session', NOW)).toEqual({
          kind: 'admin',
          siteId: null,
          expiresAt: NOW + 1000,
        });
        expect(await store.findSession('share-session', NOW + 4)).toEqual({
          kind: 'share',
          siteId: site.id,
          expiresAt: NOW + 5,
        });
        expect(await store.findSession('share-session', NOW + 5)).toBeUndefined();
        expect(await store.findSession('other', NOW)).toBeUndefined();
        await store.deleteSession('admin-session');
        expect(await store.findSession('admin-session', NOW)).toBeUndefined();
        await store.deleteSession('admin-session'); // twice is fine
      });

      it('purges expired sessions when one is added', async () => {
        await store.addSession('old', { kind: 'admin', siteId: null, expiresAt: NOW + 10 }, NOW);
        await store.addSession('new', { kind: 'admin', siteId: null, expiresAt: NOW + 1000 }, NOW + 10);
        // Asked about a moment before it expired, the purged session is still gone: it was deleted.
        expect(await store.findSession('old', NOW)).toBeUndefined();
        expect(await store.findSession('new', NOW + 10)).toBeDefined();
      });

      it('ends a share session with its site; an admin session stays', async () => {
        const site = await store.addSite('gone.example', {});
        await store.addSession('share', { kind: 'share', siteId: site.id, expiresAt: NOW + 1000 }, NOW);
        await store.addSession('admin', { kind: 'admin', siteId: null, expiresAt: NOW + 1000 }, NOW);
        expect(await store.removeSite('gone.example')).toBe(true);
        expect(await store.findSession('share', NOW)).toBeUndefined();
        expect(await store.findSession('admin', NOW)).toBeDefined();
      });
    });

    describe('salts', () => {
      it("keeps the first writer's salt of a (site, day), byte for byte", async () => {
        const a = await store.addSite('a.example', {});
        const b = await store.addSite('b.example', {});
        const first = new Uint8Array(32).map((_, i) => (i * 37 + 255) % 256); // zeros and 0xff included
        expect(await store.salt(a.id, DAY0, first)).toEqual(first);
        expect(await store.salt(a.id, DAY0, bytes(32, 2))).toEqual(first);
        expect(await store.salt(a.id, DAY0 + 1, bytes(32, 3))).toEqual(bytes(32, 3));
        expect(await store.salt(b.id, DAY0, bytes(32, 4))).toEqual(bytes(32, 4));
        const [x, y] = await Promise.all([
          store.salt(b.id, DAY0 + 5, bytes(32, 5)),
          store.salt(b.id, DAY0 + 5, bytes(32, 6)),
        ]);
        expect(x).toEqual(y);
      });
    });

    describe('visitor states', () => {
      it('round-trips the states a commit writes, and overwrites them on the next', async () => {
        const site = await store.addSite('a.example', {});
        const full = visitorState(site.id, DAY0);
        const fresh = newVisitorState(site.id, DAY0);
        await store.commit(
          batch(
            [],
            [],
            [
              ['h1', full],
              ['h2', fresh],
            ],
          ),
          1000,
        );
        const loaded = await store.loadVisitors(['h1', 'h2', 'missing']);
        expect([...loaded.keys()].sort()).toEqual(['h1', 'h2']);
        expect(loaded.get('h1')).toEqual(full);
        expect(loaded.get('h2')).toEqual(fresh);

        const next = visitorState(site.id, DAY0 + 1);
        next.daySeen.add('13\u0001signup');
        next.hourSeen.add('13\u0001signup');
        await store.commit(batch([], [], [['h1', next]]), 2000);
        expect((await store.loadVisitors(['h1'])).get('h1')).toEqual(next);
        expect(await store.loadVisitors([])).toEqual(new Map());
      });

      it('loads many states at once (more than any bound-parameter limit)', async () => {
        const site = await store.addSite('a.example', {});
        const touched: [string, VisitorState][] = [];
        for (let i = 0; i < 1500; i++) touched.push([`h${i}`, newVisitorState(site.id, DAY0 + (i % 3))]);
        await store.commit(batch([], [], touched), 1000);
        const wanted = [...touched.map(([hash]) => hash), 'nope'];
        const loaded = await store.loadVisitors(wanted);
        expect(loaded.size).toBe(1500);
        expect(loaded.get('h1499')?.day).toBe(DAY0 + (1499 % 3));
      });

      it('counts live visitors by the time of their last commit', async () => {
        const a = await store.addSite('a.example', {});
        const b = await store.addSite('b.example', {});
        await store.commit(
          batch(
            [],
            [],
            [
              ['a1', newVisitorState(a.id, DAY0)],
              ['a2', newVisitorState(a.id, DAY0)],
            ],
          ),
          1_000,
        );
        await store.commit(
          batch(
            [],
            [],
            [
              ['a2', newVisitorState(a.id, DAY0)],
              ['b1', newVisitorState(b.id, DAY0)],
            ],
          ),
          5_000,
        );
        expect(await store.liveVisitors(a.id, 0)).toBe(2);
        expect(await store.liveVisitors(a.id, 5_000)).toBe(1);
        expect(await store.liveVisitors(a.id, 5_001)).toBe(0);
        expect(await store.liveVisitors(b.id, 1_001)).toBe(1);
      });
    });

    describe('rollups', () => {
      it('adds deltas up, and groups by value, time, both, or not at all', async () => {
        const site = await store.addSite('a.example', {});
        const other = await store.addSite('b.example', {});
        await store.commit(
          batch(
            [
              hourCell(site.id, 1, T0, '/a', { visitors: 2, pageviews: 3 }),
              hourCell(site.id, 1, T0, '/b', { visitors: 1, pageviews: 1, engaged_ms: 500 }),
              hourCell(site.id, 1, T0 + HOUR, '/a', { visitors: 1, pageviews: 1 }),
              hourCell(site.id, 0, T0, '', {
                visitors: 3,
                visits: 3,
                pageviews: 4,
                bounces: 2,
                duration_ms: 9000,
              }),
              dayCell(site.id, 1, DAY0, '/a', { visitors: 2, pageviews: 4 }),
              hourCell(other.id, 1, T0, '/a', { pageviews: 100 }),
            ],
            [],
            [],
          ),
          1000,
        );
        // The same cells again: an upsert adds, it does not replace.
        await store.commit(
          batch([hourCell(site.id, 1, T0, '/a', { visitors: 1, pageviews: 2 })], [], []),
          2000,
        );

        const byValue = await store.rollup(query(site.id, { dim: 1, groupBy: 'value' }));
        expect(sorted(byValue)).toEqual([
          row('/a', 0, { visitors: 4, pageviews: 6 }),
          row('/b', 0, { visitors: 1, pageviews: 1, engaged_ms: 500 }),
        ]);
        const byTime = await store.rollup(query(site.id, { dim: 1, groupBy: 'time' }));
        expect(sorted(byTime)).toEqual([
          row('', T0, { visitors: 4, pageviews: 6, engaged_ms: 500 }),
          row('', T0 + HOUR, { visitors: 1, pageviews: 1 }),
        ]);
        const both = await store.rollup(query(site.id, { dim: 1, groupBy: 'value_time' }));
        expect(sorted(both)).toEqual([
          row('/a', T0, { visitors: 3, pageviews: 5 }),
          row('/a', T0 + HOUR, { visitors: 1, pageviews: 1 }),
          row('/b', T0, { visitors: 1, pageviews: 1, engaged_ms: 500 }),
        ]);
        expect(await store.rollup(query(site.id, { dim: 1, groupBy: 'all' }))).toEqual([
          row('', 0, { visitors: 5, pageviews: 7, engaged_ms: 500 }),
        ]);
        // One value, and inclusive bounds.
        expect(
          await store.rollup(query(site.id, { dim: 1, groupBy: 'all', value: '/a', from: T0 + HOUR })),
        ).toEqual([row('', 0, { visitors: 1, pageviews: 1 })]);
        expect(await store.rollup(query(site.id, { dim: 1, groupBy: 'value', to: T0 }))).toEqual(
          expect.arrayContaining([row('/a', 0, { visitors: 3, pageviews: 5 })]),
        );
        expect(await store.rollup(query(site.id, { dim: 0, groupBy: 'all' }))).toEqual([
          row('', 0, { visitors: 3, visits: 3, pageviews: 4, bounces: 2, duration_ms: 9000 }),
        ]);
        // The day grain is its own table.
        expect(
          await store.rollup(
            query(site.id, { grain: 'day', dim: 1, groupBy: 'value_time', from: DAY0, to: DAY0 }),
          ),
        ).toEqual([row('/a', DAY0, { visitors: 2, pageviews: 4 })]);
        // Nothing there: grouped queries answer no rows, the total answers zeros.
        expect(await store.rollup(query(site.id, { dim: 5, groupBy: 'value' }))).toEqual([]);
        expect(await store.rollup(query(site.id, { dim: 5, groupBy: 'all' }))).toEqual([row('', 0, {})]);
      });

      it('keeps values exactly: empty, unicode, numeric-looking, long', async () => {
        const site = await store.addSite('a.example', {});
        const values = [
          '',
          '/café',
          '日本語/ページ',
          '0123',
          '1e5',
          'null',
          'it\'s "quoted"',
          `/${'x'.repeat(2000)}`,
        ];
        await store.commit(
          batch(
            values.map((v) => hourCell(site.id, 1, T0, v, { pageviews: 1 })),
            [],
            [],
          ),
          1,
        );
        const rows = await store.rollup(query(site.id, { dim: 1, groupBy: 'value' }));
        expect(rows.map((r) => r.value).sort()).toEqual([...values].sort());
      });
    });

    describe('drop log', () => {
      it('sums drops by reason over a range, largest first', async () => {
        const site = await store.addSite('a.example', {});
        await store.commit(batch([], [drop(site.id, T0, 'bot', 3), drop(site.id, T0, 'dnt', 1)], []), 1);
        await store.commit(
          batch(
            [],
            [
              drop(site.id, T0, 'bot', 2),
              drop(site.id, T0 + HOUR, 'gpc', 5),
              drop(site.id, T0 + 2 * HOUR, 'bot', 7),
            ],
            [],
          ),
          2,
        );
        expect(await store.dropped(site.id, T0, T0 + HOUR)).toEqual([
          { reason: 'bot', events: 5 },
          { reason: 'gpc', events: 5 },
          { reason: 'dnt', events: 1 },
        ]);
        expect(await store.dropped(site.id, T0 + 2 * HOUR, T0 + 2 * HOUR)).toEqual([
          { reason: 'bot', events: 7 },
        ]);
        expect(await store.dropped(site.id, T0 + 3 * HOUR, T0 + 9 * HOUR)).toEqual([]);
      });
    });

    describe('visit grain', () => {
      /** Two visits of one site: Google/Chrome entering at /a, Direct/Firefox at /b; one of another site. */
      async function seed() {
        const site = await store.addSite('a.example', {});
        const other = await store.addSite('b.example', {});
        const google = visit(1, T0, { source: 'Google', browser: 'Chrome' }, '/a', '/a');
        const direct = visit(2 ** 53 - 1, T0 + HOUR, { source: 'Direct', browser: 'Firefox' }, '/b', '/b');
        const elsewhere = visit(1, T0, { source: 'Google', browser: 'Chrome' }, '/a', '/a');
        await store.commit(
          batch([], [], [], {
            visits: [
              { siteId: site.id, day: DAY0, visit: google },
              { siteId: site.id, day: DAY0, visit: direct },
              { siteId: other.id, day: DAY0, visit: elsewhere },
            ],
            pages: [
              page(site.id, google, '/a', T0, 1, 0),
              page(site.id, direct, '/b', T0 + HOUR, 1, 0),
              page(other.id, elsewhere, '/a', T0, 5, 0),
            ],
            events: [
              { siteId: site.id, visit: direct, name: 'signup', time: T0 + HOUR, count: 1, engaged_ms: 0 },
            ],
          }),
          1,
        );
        // The next commit: Google's visit goes on to /c an hour later (its row is rewritten,
        // its pages added to), and spends 5 s more on /a.
        google.exit = '/c';
        google.pageviews = 2;
        google.durationMs = 65_000;
        await store.commit(
          batch([], [], [], {
            visits: [{ siteId: site.id, day: DAY0, visit: google }],
            pages: [page(site.id, google, '/c', T0 + HOUR, 1, 0), page(site.id, google, '/a', T0, 0, 5000)],
          }),
          2,
        );
        return { site, other };
      }

      const ask = (siteId: number, q: Partial<VisitGrainQuery>): VisitGrainQuery => ({
        siteId,
        from: T0,
        to: T0 + 23 * HOUR,
        filters: new Map(),
        measure: 'visits',
        period: 'all',
        ...q,
      });
      const rows = async (q: VisitGrainQuery) =>
        (await store.visitGrain(q)).sort((a, b) => (a.value < b.value ? -1 : 1) || a.time - b.time);

      it('rewrites visits, adds their pages and events up, and sums visits by value and period', async () => {
        const { site } = await seed();
        // [value, time, visits, bounces, duration_ms, pageviews, events, engaged_ms, basis]
        const flat = async (q: VisitGrainQuery) =>
          (await rows(q)).map((r) => [
            r.value,
            r.time,
            r.visits,
            r.bounces,
            r.duration_ms,
            r.pageviews,
            r.events,
            r.engaged_ms,
            r.basis,
          ]);
        // A visit row holds the whole visit: Google's has moved on to /c, with two pageviews.
        expect(await flat(ask(site.id, { groupBy: 'exit_page' }))).toEqual([
          ['/b', 0, 1, 1, 0, 1, 0, 0, 1],
          ['/c', 0, 1, 0, 65_000, 2, 0, 0, 1],
        ]);
        expect(await flat(ask(site.id, { period: 'hour' }))).toEqual([
          ['', T0, 1, 0, 65_000, 2, 0, 0, 1],
          ['', T0 + HOUR, 1, 1, 0, 1, 0, 0, 1],
        ]);
        expect(await flat(ask(site.id, { measure: 'pages', groupBy: 'page', period: 'day' }))).toEqual([
          ['/a', DAY0, 0, 0, 0, 1, 0, 5000, 1],
          ['/b', DAY0, 0, 0, 0, 1, 0, 0, 1],
          ['/c', DAY0, 0, 0, 0, 1, 0, 0, 1],
        ]);
        expect(await flat(ask(site.id, { measure: 'events', groupBy: 'event' }))).toEqual([
          ['signup', 0, 0, 0, 0, 0, 1, 0, 1],
        ]);
      });

      it('narrows by filters: values of one dimension OR, dimensions AND, pages and events by membership', async () => {
        const { site } = await seed();
        const visitsOf = async (filters: [string, string[]][], q: Partial<VisitGrainQuery> = {}) =>
          (await rows(ask(site.id, { filters: new Map(filters) as VisitGrainQuery['filters'], ...q }))).map(
            (r) => [
              r.value,
              r.visits,
              q.measure === 'events' ? r.events : q.measure === 'pages' ? r.pageviews : 0,
            ],
          );
        expect(await visitsOf([['source', ['Google', 'Direct']]])).toEqual([['', 2, 0]]);
        expect(
          await visitsOf([
            ['source', ['Google']],
            ['browser', ['Firefox']],
          ]),
        ).toEqual([]);
        expect(await visitsOf([['browser', ['Firefox']]], { groupBy: 'source' })).toEqual([['Direct', 1, 0]]);
        // A visit viewed /c (an hour after it started): it matches, whatever hour the range asks.
        expect(await visitsOf([['page', ['/c']]], { groupBy: 'source' })).toEqual([['Google', 1, 0]]);
        expect(await visitsOf([['event', ['signup']]], { groupBy: 'entry_page' })).toEqual([['/b', 1, 0]]);
        // The pages of matching visits, and only the filtered pages when a page filter narrows them.
        expect(await visitsOf([['source', ['Google']]], { measure: 'pages', groupBy: 'page' })).toEqual([
          ['/a', 0, 1],
          ['/c', 0, 1],
        ]);
        expect(await visitsOf([['page', ['/c']]], { measure: 'pages' })).toEqual([['', 0, 1]]);
        // Pageviews count in the hour they happened.
        expect(await visitsOf([], { measure: 'pages', from: T0 + HOUR, to: T0 + HOUR })).toEqual([
          ['', 0, 2],
        ]);
        expect(await visitsOf([['event', ['signup']]], { measure: 'events' })).toEqual([['', 0, 1]]);
        // Values are bound, never spliced into the SQL.
        expect(await visitsOf([['source', ["') OR 1=1 --"]]])).toEqual([]);
      });

      it('is removed with its site and by retention, for that site only', async () => {
        const { site, other } = await seed();
        await store.purge(site.id, DAY0, T0 + HOUR, DAY0);
        expect((await rows(ask(site.id, { groupBy: 'entry_page' }))).map((r) => r.value)).toEqual(['/b']);
        expect((await rows(ask(other.id, {}))).map((r) => r.visits)).toEqual([1]);
        // Retention past every row takes the labels too; a visit counted afterwards labels afresh.
        await store.purge(site.id, DAY0, T0 + 400 * 86_400, DAY0);
        expect(await rows(ask(site.id, {}))).toEqual([]);
        const again = visit(9, T0 + 2 * HOUR, { source: 'Google' }, '/a', '/a');
        await store.commit(batch([], [], [], { visits: [{ siteId: site.id, day: DAY0, visit: again }] }), 3);
        expect((await rows(ask(site.id, { groupBy: 'source' }))).map((r) => [r.value, r.visits])).toEqual([
          ['Google', 1],
        ]);
        await store.removeSite('a.example');
        expect(await rows(ask(site.id, { measure: 'pages' }))).toEqual([]);
        expect((await rows(ask(other.id, { measure: 'pages' }))).map((r) => r.pageviews)).toEqual([5]);
      });
    });

    describe('purge', () => {
      it('destroys salts and states of past days and rollups past retention, for one site only', async () => {
        const site = await store.addSite('a.example', {});
        const other = await store.addSite('b.example', {});
        for (const s of [site, other]) {
          await store.salt(s.id, DAY0, bytes(32, 1));
          await store.salt(s.id, DAY0 + 1, bytes(32, 2));
          await store.commit(
            batch(
              [
                hourCell(s.id, 0, T0, '', { pageviews: 1 }),
                hourCell(s.id, 0, T0 + 86_400, '', { pageviews: 2 }),
                dayCell(s.id, 0, DAY0, '', { pageviews: 1 }),
                dayCell(s.id, 0, DAY0 + 1, '', { pageviews: 2 }),
              ],
              [drop(s.id, T0, 'bot', 1), drop(s.id, T0 + 86_400, 'bot', 2)],
              [
                [`old-${s.id}`, newVisitorState(s.id, DAY0)],
                [`new-${s.id}`, newVisitorState(s.id, DAY0 + 1)],
              ],
            ),
            1,
          );
        }
        await store.purge(site.id, DAY0 + 1, T0 + 86_400, DAY0 + 1);

        expect(await store.salt(site.id, DAY0, bytes(32, 9))).toEqual(bytes(32, 9)); // the old one is gone
        expect(await store.salt(site.id, DAY0 + 1, bytes(32, 9))).toEqual(bytes(32, 2));
        expect([...(await store.loadVisitors([`old-${site.id}`, `new-${site.id}`])).keys()]).toEqual([
          `new-${site.id}`,
        ]);
        expect(await store.rollup(query(site.id, { groupBy: 'time', to: T0 + 2 * 86_400 }))).toEqual([
          row('', T0 + 86_400, { pageviews: 2 }),
        ]);
        expect(
          await store.rollup(query(site.id, { grain: 'day', groupBy: 'time', from: 0, to: DAY0 + 9 })),
        ).toEqual([row('', DAY0 + 1, { pageviews: 2 })]);
        expect(await store.dropped(site.id, 0, T0 * 2)).toEqual([{ reason: 'bot', events: 2 }]);

        // The other site is untouched.
        expect(await store.salt(other.id, DAY0, bytes(32, 9))).toEqual(bytes(32, 1));
        expect((await store.loadVisitors([`old-${other.id}`])).size).toBe(1);
        expect(await store.rollup(query(other.id, { groupBy: 'all', to: T0 * 2 }))).toEqual([
          row('', 0, { pageviews: 3 }),
        ]);
      });
    });
  });
}

function bytes(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

function counters(partial: Partial<Counters>): Counters {
  const all = {} as Counters;
  for (const c of COUNTERS) all[c] = partial[c] ?? 0;
  return all;
}

function hourCell(siteId: number, dim: number, time: number, value: string, c: Partial<Counters>): Cell {
  return { grain: 'hour', siteId, dim, time, value, counters: counters(c) };
}

function dayCell(siteId: number, dim: number, time: number, value: string, c: Partial<Counters>): Cell {
  return { grain: 'day', siteId, dim, time, value, counters: counters(c) };
}

function drop(siteId: number, bucket: number, reason: string, events: number): DropCell {
  return { siteId, bucket, reason, events };
}

/** A batch as the store reads it (see the module comment). */
function batch(
  cells: Cell[],
  drops: DropCell[],
  touched: [string, VisitorState][],
  grain: { visits?: VisitCell[]; pages?: VisitItemCell[]; events?: VisitItemCell[] } = {},
): BatchResult {
  const deltas = {
    cells: () => cells.values(),
    drops: () => drops.values(),
    visits: () => (grain.visits ?? []).values(),
    visitPages: () => (grain.pages ?? []).values(),
    visitEvents: () => (grain.events ?? []).values(),
  };
  return { deltas, touched: new Map(touched) } as unknown as BatchResult;
}

function visit(id: number, start: number, dims: Record<string, string>, entry: string, exit: string): Visit {
  const all = newVisitorState(0, DAY0);
  all.visit = {
    id,
    start,
    last: start * 1000,
    dims: {
      source: 'Direct',
      referrer: '(none)',
      utm_source: '(none)',
      utm_medium: '(none)',
      utm_campaign: '(none)',
      utm_term: '(none)',
      utm_content: '(none)',
      browser: 'Chrome',
      browser_version: 'Chrome 130',
      os: 'Linux',
      device: 'desktop',
      country: '(none)',
      ...dims,
    },
    entry,
    exit,
    pageviews: 1,
    customs: 0,
    durationMs: 0,
    pending: null,
  };
  return all.visit;
}

function page(
  siteId: number,
  of: Visit,
  name: string,
  time: number,
  count: number,
  engaged: number,
): VisitItemCell {
  return { siteId, visit: of, name, time, count, engaged_ms: engaged };
}

function row(value: string, time: number, c: Partial<Counters>) {
  return { value, time, ...counters(c) };
}

function query(siteId: number, q: Partial<RollupQuery> & Pick<RollupQuery, 'groupBy'>): RollupQuery {
  return { siteId, grain: 'hour', dim: 0, from: 0, to: T0 + 10 * 86_400, ...q };
}

function sorted<T extends { value: string; time: number }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : a.time - b.time));
}

/** A state with every field in use: a visit, seen sets, exit counts. */
function visitorState(siteId: number, day: number): VisitorState {
  const state = newVisitorState(siteId, day);
  state.visit = {
    id: 4_503_599_627_370_495,
    start: T0,
    last: T0 * 1000 + 5000,
    dims: {
      source: 'Google',
      referrer: 'google.com',
      utm_source: '(none)',
      utm_medium: '(none)',
      utm_campaign: '(none)',
      utm_term: '(none)',
      utm_content: '(none)',
      browser: 'Chrome',
      browser_version: 'Chrome 131',
      os: 'Windows',
      device: 'desktop',
      country: 'NO',
    },
    entry: '/',
    exit: '/pricing',
    pageviews: 2,
    customs: 1,
    durationMs: 4200,
    pending: { page: '/pricing', time: T0 * 1000 + 5000, engaged: false },
  };
  state.hour = T0;
  // A key seen this hour was seen today: the hour's keys are a subset of the day's.
  state.daySeen = new Set(['0\u0001', '1\u0001/', '1\u0001/pricing', '4\u0001Google']);
  state.hourSeen = new Set(['0\u0001', '1\u0001/pricing']);
  state.exits = new Map([
    [`b${T0}|/pricing`, 1],
    [`d${day}|/pricing`, 1],
  ]);
  return state;
}
