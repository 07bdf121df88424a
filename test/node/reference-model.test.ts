/**
 * The reference-model test (ARCHITECTURE.md, goal 3: "a seeded reference model checks every one of them").
 *
 * A seeded stream of more than 50,000 events (four sites in four time zones, one of them with
 * a half-hour offset; three local days including New York's switch to daylight saving time;
 * thousands of visitors; bots, opt-outs, prefetches; visits across hours and local midnights)
 * is posted over real HTTP to the real app running in this process, each request at its own
 * `x-test-time`. Then every answer the contract calls exact — aggregates of whole days, of a
 * range of days and of single hours, hourly, daily and monthly timeseries, every breakdown,
 * filtered aggregates, the drop log — must equal what a naive, independent model
 * (`test/support/stream/reference.ts`) computes from the raw stream. Instant ranges of partial
 * days must answer exact counters and the visitor estimate ARCHITECTURE.md documents.
 * Filtered questions (`filter=` repeated: OR within a dimension, AND across) are checked against
 * `test/support/stream/filtered-reference.ts`, whose visitor estimate is also measured against
 * the stream's true visitors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BREAKDOWN_DIMENSIONS,
  type BreakdownDimension,
  NONE,
  VISIT_DIMENSIONS,
} from '../../collector/core/dimensions.ts';
import { dayStart, parseDay } from '../../collector/core/time/zone.ts';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';
import { closeAgents, postEvent } from '../support/post.ts';
import { ADMIN_TOKEN } from '../support/server.ts';
import {
  type Detail,
  estimateVisitors,
  type Filter,
  FilteredReference,
} from '../support/stream/filtered-reference.ts';
import {
  generateStream,
  STREAM_DAYS,
  STREAM_SITES,
  type Stream,
  type StreamEvent,
} from '../support/stream/generate.ts';
import {
  type BreakdownRow,
  type Instants,
  type Period,
  ReferenceModel,
} from '../support/stream/reference.ts';
import { orderKey, replay } from '../support/stream/replay.ts';

const CONCURRENCY = 64;
/** Every this many events, the collector's in-memory visitor states are forgotten: they must come back from SQLite. */
const FORGET_EVERY = 7_000;
const [FIRST, MIDDLE, LAST] = STREAM_DAYS;
const DAYS = STREAM_DAYS.map((text) => parseDay(text) ?? Number.NaN);
const MIDDLE_DAY = DAYS[1] ?? Number.NaN;
/**
 * Single UTC hours, asked for as ISO ranges: 14:00Z, and 23:00Z (midnight in Oslo, the last
 * hour of the day in UTC). In Kolkata each holds one local hour bucket, the one starting at :30.
 */
const HOURS = ['2026-03-08T14:00:00Z', '2026-03-07T23:00:00Z'];

let stream: Stream;
let model: ReferenceModel;
let filtered: FilteredReference;
let server: InProcessServer | undefined;
const failures: string[] = [];
let replayMs = 0;

/** Posts every event, `CONCURRENCY` in flight, each visitor's strictly one after another. */
async function replayStream(running: InProcessServer, events: readonly StreamEvent[]): Promise<void> {
  const sites = await running.runtime.store.listSites();
  await replay(
    events,
    orderKey,
    async (event, index) => {
      if (index > 0 && index % FORGET_EVERY === 0) {
        // What the maintenance job does at midnight, here for every day: the next events of
        // each visitor load its state from storage (as after an eviction from the LRU cache).
        for (const site of sites) running.runtime.committer.forgetBefore(site.id, (DAYS[2] ?? 0) + 1);
      }
      try {
        const response = await postEvent(running.url, event.payload, {
          userAgent: event.ua,
          headers: { ...event.headers, 'x-test-time': String(event.time) },
        });
        if (response.status !== 202 || response.body !== '') {
          failures.push(`event #${index} ${JSON.stringify(event)}: ${response.status} ${response.body}`);
        }
        return response.status;
      } catch (error) {
        failures.push(`event #${index}: ${error instanceof Error ? error.message : String(error)}`);
        return 0;
      }
    },
    CONCURRENCY,
  );
}

async function stats<T>(path: string): Promise<T> {
  if (!server) throw new Error('the server did not start');
  const response = await fetch(server.url + path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const q = (site: string, from: string, to: string) =>
  `site=${encodeURIComponent(site)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;

const isoOf = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
const instants = (from: string, to: string): Instants => ({
  from: Date.parse(from) / 1000,
  to: Date.parse(to) / 1000,
});
const dayPeriods = (days: readonly number[]): Period[] => days.map((day) => ({ day }));
const timezoneOf = (site: string) => STREAM_SITES.find((s) => s.domain === site)?.timezone ?? 'UTC';

function byValue(rows: readonly BreakdownRow[]): BreakdownRow[] {
  return [...rows].sort((a, b) =>
    String(a.value) < String(b.value) ? -1 : String(a.value) > String(b.value) ? 1 : 0,
  );
}

/** Rows out of order: a row with more visitors than the one before it. */
function orderViolations(rows: readonly BreakdownRow[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1], rows[i]];
    if (a && b && Number(b.visitors) > Number(a.visitors)) {
      out.push(`#${i} ${b.value} (${b.visitors}) after ${a.value} (${a.visitors})`);
    }
  }
  return out;
}

/** One breakdown, every row (limit=1000), compared as a set keyed by value; the order checked apart. */
async function checkBreakdown(
  site: string,
  dim: string,
  from: string,
  to: string,
  span: Period[] | Instants,
  label: string,
): Promise<BreakdownRow[]> {
  const expected = model.breakdown(site, dim, span);
  expect(expected.length, `${label}: the reference fits in one page`).toBeLessThanOrEqual(1000);
  const actual = await stats<BreakdownRow[]>(
    `/api/stats/breakdown?${q(site, from, to)}&by=${dim}&limit=1000`,
  );
  expect.soft(byValue(actual), `breakdown by ${dim} on ${site} ${label}`).toEqual(byValue(expected));
  expect
    .soft(orderViolations(actual), `breakdown by ${dim} on ${site} ${label}: visitors descending`)
    .toEqual([]);
  return actual;
}

/** The value with the most visitors in the reference (ties: the first by name). */
function topValue(rows: readonly BreakdownRow[]): string {
  const top = byValue(rows).sort((a, b) => Number(b.visitors) - Number(a.visitors))[0];
  if (!top) throw new Error('no rows');
  return String(top.value);
}

const topFilters = new Map<string, Filter[]>();
/** Up to `n` values of a dimension with the most visitors over the range; `(none)` only when there is nothing else. */
function filtersOn(site: string, dim: BreakdownDimension, n = 1): Filter[] {
  const key = `${site} ${dim} ${n}`;
  let filters = topFilters.get(key);
  if (!filters) {
    const rows = byValue(model.breakdown(site, dim, dayPeriods(DAYS))).sort(
      (a, b) => Number(b.visitors) - Number(a.visitors),
    );
    const named = rows.filter((row) => row.value !== NONE);
    filters = (named.length > 0 ? named : rows).slice(0, n).map((row) => ({ dim, value: String(row.value) }));
    topFilters.set(key, filters);
  }
  return filters;
}

const filterParams = (filters: readonly Filter[]) =>
  filters.map(({ dim, value }) => `&filter=${encodeURIComponent(`${dim}:${value}`)}`).join('');
const filterLabel = (filters: readonly Filter[]) =>
  filters.map(({ dim, value }) => `${dim}:${value}`).join(' & ');

interface Answer {
  visitors: number;
  visits: number;
}

/** The ranges filtered questions are asked over: the whole range, one day, and the single hours of HOURS. */
function askedRanges(): { from: string; to: string; span: Period[] | Instants }[] {
  return [
    { from: FIRST, to: LAST, span: dayPeriods(DAYS) },
    { from: MIDDLE, to: MIDDLE, span: dayPeriods([MIDDLE_DAY]) },
    ...HOURS.map((hour) => {
      const to = isoOf(Date.parse(hour) / 1000 + 3600);
      return { from: hour, to, span: instants(hour, to) };
    }),
  ];
}

/** A filtered breakdown, every row (limit=1000), compared as a set keyed by value; the order checked apart. */
async function checkFilteredBreakdown(
  site: string,
  by: BreakdownDimension,
  filters: readonly Filter[],
  from: string,
  to: string,
  span: Period[] | Instants,
): Promise<void> {
  const label = `breakdown by ${by} on ${site} ${from}..${to} filter=${filterLabel(filters)}`;
  const expected = filtered.breakdown(site, by, filters, span);
  expect(expected.length, `${label}: the reference fits in one page`).toBeLessThanOrEqual(1000);
  const actual = await stats<BreakdownRow[]>(
    `/api/stats/breakdown?${q(site, from, to)}&by=${by}&limit=1000${filterParams(filters)}`,
  );
  expect.soft(byValue(actual), label).toEqual(byValue(expected));
  expect.soft(orderViolations(actual), `${label}: visitors descending`).toEqual([]);
}

beforeAll(async () => {
  stream = generateStream();
  model = new ReferenceModel(stream.events, STREAM_SITES);
  filtered = new FilteredReference(model);
  server = await startInProcess(
    Object.fromEntries(
      STREAM_SITES.map((site) => [site.domain, { timezone: site.timezone, honourOptOut: site.honourOptOut }]),
    ),
    { GLIMT_TRUST_PROXY: '1', GLIMT_GEO: 'off' },
  );
  const started = performance.now();
  await replayStream(server, stream.events);
  replayMs = performance.now() - started;
}, 300_000);

afterAll(async () => {
  closeAgents();
  await server?.close();
});

describe('reference model', () => {
  it('replays the whole stream: every event answered 202', () => {
    console.log(
      `reference model: ${stream.events.length} events posted in ${(replayMs / 1000).toFixed(1)} s; ` +
        `${JSON.stringify(stream.meta)}; ${JSON.stringify(model.facts)}`,
    );
    expect(stream.events.length).toBeGreaterThanOrEqual(50_000);
    expect(failures.slice(0, 5), `${failures.length} events not answered 202 with an empty body`).toEqual([]);
  });

  it('the stream has the cases it exists to check', () => {
    expect(stream.meta.collapsedPairs, 'visitor pairs sharing a /24 and a User-Agent').toBeGreaterThan(10);
    expect(model.facts.collapsedIdentities, 'identities played by two addresses').toBeGreaterThan(10);
    expect(stream.meta.ipv6Visitors).toBeGreaterThan(10);
    expect(model.facts.visitsAcrossHours, 'visits spanning an hour boundary').toBeGreaterThan(100);
    expect(model.facts.midnightSplits, 'activity crossing a local midnight').toBeGreaterThan(20);
    expect(model.facts.noVisitDrops, 'engagements without a visit').toBeGreaterThan(100);
    for (const site of STREAM_SITES) {
      const reasons = model.dropped(site.domain, DAYS).map((d) => d.reason);
      const expected = site.honourOptOut
        ? ['bot', 'dnt', 'gpc', 'no_visit', 'prefetch']
        : ['bot', 'no_visit', 'prefetch'];
      expect(reasons.sort(), `drop reasons on ${site.domain}`).toEqual(expected);
    }
  });

  it('the filtered model agrees with the unfiltered one where they must', () => {
    for (const { domain: site } of STREAM_SITES) {
      const span = dayPeriods(DAYS);
      for (const dim of VISIT_DIMENSIONS) {
        const filters = filtersOn(site, dim);
        const value = filters[0]?.value ?? '';
        expect
          .soft(filtered.aggregate(site, filters, span), `${site} filter=${dim}:${value}`)
          .toEqual(model.aggregateFiltered(site, dim, value, span));
      }
      // A filter every visit matches (country is (none) everywhere: GLIMT_GEO=off) changes nothing but visitors.
      const all = filtered.aggregate(site, filtersOn(site, 'country'), span);
      expect.soft(all, `${site} filter=country:(none)`).toEqual(model.aggregate(site, span));
    }
  });

  it('the filtered visitor estimate: its error against the true visitors of the stream', () => {
    const aggregates: Detail[] = [];
    const rows: Detail[] = [];
    const broken: string[] = [];
    const check = (detail: Detail, label: string) => {
      if (detail.visitors > detail.basis) broken.push(`${label}: ${detail.visitors} > basis ${detail.basis}`);
      if (detail.visitors < detail.truth) broken.push(`${label}: ${detail.visitors} < truth ${detail.truth}`);
    };
    for (const { domain: site } of STREAM_SITES) {
      const spans = [dayPeriods(DAYS), ...DAYS.map((day) => dayPeriods([day]))];
      // Every (visit dimension top value) x (another dimension top value), the range and each day.
      for (const first of VISIT_DIMENSIONS) {
        for (const second of BREAKDOWN_DIMENSIONS) {
          if (second === first) continue;
          const filters = [...filtersOn(site, first), ...filtersOn(site, second)];
          for (const span of spans) {
            const { detail } = filtered.aggregateDetail(site, filters, span);
            check(detail, `aggregate ${site} ${JSON.stringify(span)} ${filterLabel(filters)}`);
            if (detail.truth > 0) aggregates.push(detail);
          }
        }
      }
      // Every breakdown filtered on another dimension's top value, the range: rows of 20 true visitors or more.
      for (const by of BREAKDOWN_DIMENSIONS) {
        for (const dim of BREAKDOWN_DIMENSIONS) {
          if (dim === by) continue;
          const filters = filtersOn(site, dim);
          for (const row of filtered.breakdownDetail(site, by, filters, dayPeriods(DAYS))) {
            check(row, `breakdown by ${by} ${site} ${filterLabel(filters)} row ${row.row.value}`);
            if (row.truth >= 20) rows.push(row);
          }
        }
      }
    }
    const errors = (details: readonly Detail[]) => {
      const relative = details.map((d) => (d.visitors - d.truth) / d.truth);
      const absolute = relative.map(Math.abs);
      const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      return {
        questions: details.length,
        meanAbs: mean(absolute),
        maxAbs: Math.max(0, ...absolute),
        bias: mean(relative),
      };
    };
    const large = aggregates.filter((d) => d.truth >= 20);
    const measured = { aggregates: errors(aggregates), aggregatesOf20: errors(large), rows: errors(rows) };
    console.log(
      `filtered visitor estimate, relative error against the truth: ${JSON.stringify(measured, (_, v) =>
        typeof v === 'number' ? Number(v.toFixed(4)) : v,
      )}`,
    );
    expect(broken.slice(0, 5), `${broken.length} estimates above their basis or below the truth`).toEqual([]);
    expect(aggregates.length).toBeGreaterThan(1000);
    expect(rows.length).toBeGreaterThan(500);
    // Measured on the seeded stream (mean |relative error|, max, bias), the estimate being the
    // matching visits capped at the unfiltered visitors: aggregates with a true count of 20 or
    // more 0.155, 0.554, +0.155 (1281 questions); all aggregates 0.075, 0.554, +0.075 (2692);
    // breakdown rows of 20 or more 0.073, 0.729, +0.073 (3422). It only overcounts: by the
    // visitors who came more than once in the filtered view. (The visits scaled by the site's
    // visitors per visit undercounted instead, by 0.174 / 0.225 / 0.231 on average.)
    expect(measured.aggregatesOf20.meanAbs, 'aggregates of 20 visitors or more').toBeLessThan(0.2);
    expect(measured.rows.meanAbs, 'breakdown rows of 20 visitors or more').toBeLessThan(0.1);
  });

  describe.each(STREAM_SITES.map((site) => [site.domain]))('%s', (site) => {
    it('aggregate: each whole day and the whole range', async () => {
      for (const [i, day] of STREAM_DAYS.entries()) {
        const actual = await stats(`/api/stats/aggregate?${q(site, day, day)}`);
        expect
          .soft(actual, `aggregate on ${site} ${day}`)
          .toEqual(model.aggregate(site, dayPeriods([DAYS[i] ?? 0])));
      }
      const actual = await stats(`/api/stats/aggregate?${q(site, FIRST, LAST)}`);
      expect
        .soft(actual, `aggregate on ${site} ${FIRST}..${LAST}`)
        .toEqual(model.aggregate(site, dayPeriods(DAYS)));
    });

    it('aggregate: ISO ranges that are exactly whole local days', async () => {
      const timezone = timezoneOf(site);
      for (const days of [[MIDDLE_DAY], DAYS]) {
        const from = isoOf(dayStart(timezone, days[0] ?? 0));
        const to = isoOf(dayStart(timezone, (days[days.length - 1] ?? 0) + 1));
        const actual = await stats(`/api/stats/aggregate?${q(site, from, to)}`);
        expect
          .soft(actual, `aggregate on ${site} ${from}..${to}`)
          .toEqual(model.aggregate(site, dayPeriods(days)));
        await checkBreakdown(site, 'source', from, to, dayPeriods(days), `${from}..${to}`);
        await checkBreakdown(site, 'exit_page', from, to, dayPeriods(days), `${from}..${to}`);
      }
    });

    it('aggregate filtered on the top value of each visit dimension, the whole range', async () => {
      for (const dim of VISIT_DIMENSIONS) {
        const value = topValue(model.breakdown(site, dim, dayPeriods(DAYS)));
        const filter = encodeURIComponent(`${dim}:${value}`);
        const actual = await stats(`/api/stats/aggregate?${q(site, FIRST, LAST)}&filter=${filter}`);
        expect
          .soft(actual, `aggregate on ${site} ${FIRST}..${LAST} filter=${dim}:${value}`)
          .toEqual(model.aggregateFiltered(site, dim, value, dayPeriods(DAYS)));
      }
    });

    it('aggregate with one page, entry, exit or event filter: exact visitors, every field a number', async () => {
      for (const { from, to, span } of askedRanges()) {
        for (const dim of ['page', 'entry_page', 'exit_page', 'event'] as const) {
          const filters = filtersOn(site, dim);
          const actual = await stats(`/api/stats/aggregate?${q(site, from, to)}${filterParams(filters)}`);
          expect
            .soft(actual, `aggregate on ${site} ${from}..${to} filter=${filterLabel(filters)}`)
            .toEqual(filtered.aggregate(site, filters, span));
        }
      }
    });

    it('aggregate with several filters: AND across dimensions, OR within one; estimated visitors', async () => {
      const combos: Filter[][] = [
        [...filtersOn(site, 'source'), ...filtersOn(site, 'browser')],
        [...filtersOn(site, 'page'), ...filtersOn(site, 'device')],
        [...filtersOn(site, 'entry_page'), ...filtersOn(site, 'event')],
        filtersOn(site, 'source', 2),
        [...filtersOn(site, 'page', 2), ...filtersOn(site, 'event', 2)],
        [...filtersOn(site, 'exit_page'), ...filtersOn(site, 'utm_medium'), ...filtersOn(site, 'os')],
        [...filtersOn(site, 'source', 2), ...filtersOn(site, 'browser_version')],
      ];
      for (const { from, to, span } of askedRanges()) {
        const unfiltered = await stats<Answer>(`/api/stats/aggregate?${q(site, from, to)}`);
        for (const filters of combos) {
          const label = `aggregate on ${site} ${from}..${to} filter=${filterLabel(filters)}`;
          expect(filters.length, label).toBeGreaterThanOrEqual(2);
          const actual = await stats<Answer>(
            `/api/stats/aggregate?${q(site, from, to)}${filterParams(filters)}`,
          );
          expect.soft(actual, label).toEqual(filtered.aggregate(site, filters, span));
          // The formula on the API's own numbers: its visits and its unfiltered answer.
          expect
            .soft(actual.visitors, `${label}: visitors estimated from its visits`)
            .toBe(estimateVisitors(actual.visits, unfiltered.visitors));
        }
      }
    });

    it.each(BREAKDOWN_DIMENSIONS.map((by, i) => [by, i] as const))(
      'breakdown by %s filtered on other dimensions, the whole range',
      async (by, i) => {
        const next = BREAKDOWN_DIMENSIONS[(i + 1) % BREAKDOWN_DIMENSIONS.length] ?? 'page';
        const pair: BreakdownDimension[] =
          by === 'source' || by === 'device' ? ['browser', 'os'] : ['source', 'device'];
        const filterSets: Filter[][] = [
          filtersOn(site, next),
          filtersOn(site, by === 'page' ? 'source' : 'page'),
          pair.flatMap((dim) => filtersOn(site, dim)),
        ];
        for (const filters of filterSets) {
          await checkFilteredBreakdown(site, by, filters, FIRST, LAST, dayPeriods(DAYS));
        }
      },
    );

    it.each(BREAKDOWN_DIMENSIONS.map((by) => [by]))(
      'breakdown by %s filtered on two of its own values: those rows of the unfiltered breakdown',
      async (by) => {
        const filters = filtersOn(site, by, 2);
        await checkFilteredBreakdown(site, by, filters, FIRST, LAST, dayPeriods(DAYS));
        await checkFilteredBreakdown(site, by, filters, MIDDLE, MIDDLE, dayPeriods([MIDDLE_DAY]));
      },
    );

    it('timeseries with filters: daily over the range, hourly over one day', async () => {
      const combos: Filter[][] = [
        [...filtersOn(site, 'source'), ...filtersOn(site, 'browser')],
        [...filtersOn(site, 'page'), ...filtersOn(site, 'event')],
        // One filter: exact visitors per point (a visit dimension's is read from its rollups whole).
        filtersOn(site, 'page'),
        filtersOn(site, 'source'),
      ];
      const unfilteredDaily = await stats<Answer[]>(
        `/api/stats/timeseries?${q(site, FIRST, LAST)}&interval=day`,
      );
      for (const filters of combos) {
        const label = `on ${site} filter=${filterLabel(filters)}`;
        const daily = await stats<Answer[]>(
          `/api/stats/timeseries?${q(site, FIRST, LAST)}&interval=day${filterParams(filters)}`,
        );
        expect
          .soft(daily, `daily timeseries ${FIRST}..${LAST} ${label}`)
          .toEqual(filtered.timeseriesDays(site, filters, DAYS));
        if (filters.length > 1) {
          expect
            .soft(
              daily.map((point) => point.visitors),
              `daily timeseries ${label}: visitors estimated from each point's visits`,
            )
            .toEqual(
              daily.map((point, i) => estimateVisitors(point.visits, unfilteredDaily[i]?.visitors ?? 0)),
            );
        }
        const hourly = await stats(
          `/api/stats/timeseries?${q(site, MIDDLE, MIDDLE)}&interval=hour${filterParams(filters)}`,
        );
        expect
          .soft(hourly, `hourly timeseries ${MIDDLE} ${label}`)
          .toEqual(filtered.timeseriesHours(site, filters, [MIDDLE_DAY]));
      }
    });

    it('aggregate and every breakdown of a single hour', async () => {
      for (const hour of HOURS) {
        const to = isoOf(Date.parse(hour) / 1000 + 3600);
        const span = instants(hour, to);
        const actual = await stats(`/api/stats/aggregate?${q(site, hour, to)}`);
        expect.soft(actual, `aggregate on ${site} ${hour}..${to}`).toEqual(model.aggregate(site, span));
        for (const dim of BREAKDOWN_DIMENSIONS) await checkBreakdown(site, dim, hour, to, span, hour);
      }
    });

    it('instant ranges of partial days: exact counters, the documented visitor estimate', async () => {
      const timezone = timezoneOf(site);
      const first = DAYS[0] ?? 0;
      const last = DAYS[2] ?? 0;
      const middle = dayStart(timezone, MIDDLE_DAY);
      const spans: [string, string][] = [
        // Local noon of the first day to 09:00 of the last: two partial days around a whole one.
        [isoOf(dayStart(timezone, first) + 12 * 3600), isoOf(dayStart(timezone, last) + 9 * 3600)],
        // Three local hours of the middle day.
        [isoOf(middle + 8 * 3600), isoOf(middle + 11 * 3600)],
        // Not on hour boundaries, with an offset: the hours that start inside the range.
        [
          `${new Date((middle + 5 * 3600 + 1200 + 3600) * 1000).toISOString().slice(0, 19)}+01:00`,
          `${new Date((middle + 30 * 3600 + 2700 - 5400) * 1000).toISOString().slice(0, 19)}-01:30`,
        ],
      ];
      for (const [from, to] of spans) {
        const span = instants(from, to);
        const days = model.daysOf(site, span);
        const label = `${from}..${to}`;
        const query = q(site, from, to);
        const actual = await stats(`/api/stats/aggregate?${query}`);
        expect.soft(actual, `aggregate on ${site} ${label}`).toEqual(model.aggregate(site, span));
        const daily = await stats(`/api/stats/timeseries?${query}&interval=day`);
        expect
          .soft(daily, `daily timeseries on ${site} ${label}`)
          .toEqual(model.timeseriesDays(site, days, span));
        const hourly = await stats(`/api/stats/timeseries?${query}&interval=hour`);
        expect
          .soft(hourly, `hourly timeseries on ${site} ${label}`)
          .toEqual(model.timeseriesHours(site, days, span));
        for (const dim of BREAKDOWN_DIMENSIONS) {
          const rows = await stats<BreakdownRow[]>(`/api/stats/breakdown?${query}&by=${dim}&limit=1000`);
          expect
            .soft(byValue(rows), `breakdown by ${dim} on ${site} ${label}`)
            .toEqual(byValue(model.breakdown(site, dim, span)));
        }
      }
    });

    it('timeseries: hourly over one day and over the range, daily and monthly over the range', async () => {
      const hourly = await stats(`/api/stats/timeseries?${q(site, MIDDLE, MIDDLE)}&interval=hour`);
      expect
        .soft(hourly, `hourly timeseries on ${site} ${MIDDLE}`)
        .toEqual(model.timeseriesHours(site, [MIDDLE_DAY]));
      const defaulted = await stats(`/api/stats/timeseries?${q(site, MIDDLE, MIDDLE)}`);
      expect
        .soft(defaulted, `default timeseries on ${site} ${MIDDLE}`)
        .toEqual(model.timeseriesHours(site, [MIDDLE_DAY]));
      const allHours = await stats(`/api/stats/timeseries?${q(site, FIRST, LAST)}&interval=hour`);
      expect
        .soft(allHours, `hourly timeseries on ${site} ${FIRST}..${LAST}`)
        .toEqual(model.timeseriesHours(site, DAYS));
      const daily = await stats(`/api/stats/timeseries?${q(site, FIRST, LAST)}&interval=day`);
      expect
        .soft(daily, `daily timeseries on ${site} ${FIRST}..${LAST}`)
        .toEqual(model.timeseriesDays(site, DAYS));
      const defaultedDaily = await stats(`/api/stats/timeseries?${q(site, FIRST, LAST)}`);
      expect
        .soft(defaultedDaily, `default timeseries on ${site} ${FIRST}..${LAST}`)
        .toEqual(model.timeseriesDays(site, DAYS));
      const monthly = await stats(`/api/stats/timeseries?${q(site, FIRST, LAST)}&interval=month`);
      expect
        .soft(monthly, `monthly timeseries on ${site} ${FIRST}..${LAST}`)
        .toEqual([{ time: FIRST.slice(0, 7), ...model.aggregate(site, dayPeriods(DAYS)) }]);
    });

    it.each(BREAKDOWN_DIMENSIONS.map((dim) => [dim]))(
      'breakdown by %s: the whole range and one day',
      async (dim) => {
        const all = await checkBreakdown(site, dim, FIRST, LAST, dayPeriods(DAYS), `${FIRST}..${LAST}`);
        await checkBreakdown(site, dim, MIDDLE, MIDDLE, dayPeriods([MIDDLE_DAY]), MIDDLE);
        // Without a limit: the first 10 rows of the same order.
        const top = await stats<BreakdownRow[]>(`/api/stats/breakdown?${q(site, FIRST, LAST)}&by=${dim}`);
        expect
          .soft(top, `breakdown by ${dim} on ${site} ${FIRST}..${LAST}, default limit`)
          .toEqual(all.slice(0, 10));
      },
    );

    it('dropped: the range, each day, single hours', async () => {
      const all = await stats(`/api/stats/dropped?${q(site, FIRST, LAST)}`);
      expect.soft(all, `dropped on ${site} ${FIRST}..${LAST}`).toEqual(model.dropped(site, DAYS));
      for (const [i, day] of STREAM_DAYS.entries()) {
        const actual = await stats(`/api/stats/dropped?${q(site, day, day)}`);
        expect.soft(actual, `dropped on ${site} ${day}`).toEqual(model.dropped(site, [DAYS[i] ?? 0]));
      }
      for (const hour of HOURS) {
        const to = isoOf(Date.parse(hour) / 1000 + 3600);
        const actual = await stats(`/api/stats/dropped?${q(site, hour, to)}`);
        expect
          .soft(actual, `dropped on ${site} ${hour}..${to}`)
          .toEqual(model.droppedIn(site, instants(hour, to)));
      }
    });
  });
});
