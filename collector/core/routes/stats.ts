/**
 * @module The stats API and CSV export: `GET /api/stats/*`, `GET /api/export`.
 */
import { type Context, Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import { BREAKDOWN_DIMENSIONS, type BreakdownDimension, dimensionKind } from '../dimensions.ts';
import { API_PATHS } from '../protocol.ts';
import { exportCsv } from '../stats/csv.ts';
import {
  type Filters,
  filteredBreakdown,
  filteredTimeseries,
  filteredTotals,
  parseFilters,
} from '../stats/filtered.ts';
import { aggregateMetrics, breakdownMetrics } from '../stats/metrics.ts';
import { countersByValue, type Interval, timeseries, totals } from '../stats/query.ts';
import { parseRange, type StatsRange } from '../stats/range.ts';
import type { Site } from '../store.ts';
import { answerRefusals, Refusal, requireReader } from './guard.ts';

const REALTIME_MS = 5 * 60 * 1000;

export function statsRoutes(deps: AppDeps): Hono {
  const app = answerRefusals(new Hono());

  app.get(API_PATHS.aggregate, async (c) => {
    const { site, range, filters } = await statsRequest(c, deps);
    if (filters.size === 0) return c.json(aggregateMetrics(await totals(deps.store, site, range, 'total')));
    const counters = await filteredTotals(deps.store, site, range, filters);
    return c.json(aggregateMetrics(counters, filters.has('event')));
  });

  app.get(API_PATHS.timeseries, async (c) => {
    const { site, range, filters } = await statsRequest(c, deps);
    const interval = parseInterval(c.req.query('interval'), range);
    const series =
      filters.size === 0
        ? await timeseries(deps.store, site, range, interval, 'total', undefined)
        : await filteredTimeseries(deps.store, site, range, interval, filters);
    return c.json(
      series.map((point) => ({
        time: point.label,
        ...aggregateMetrics(point.counters, filters.has('event')),
      })),
    );
  });

  app.get(API_PATHS.breakdown, async (c) => {
    const { site, range, filters } = await statsRequest(c, deps);
    const by = parseDimension(c.req.query('by'), 'by');
    const limit = parseLimit(c.req.query('limit'));
    const rows =
      filters.size === 0
        ? await countersByValue(deps.store, site, range, by, undefined, true)
        : await filteredBreakdown(deps.store, site, range, filters, by);
    const kind = dimensionKind(by);
    const sorted = [...rows]
      .sort(
        ([va, a], [vb, b]) =>
          b.visitors - a.visitors || b.pageviews + b.events - (a.pageviews + a.events) || (va < vb ? -1 : 1),
      )
      .slice(0, limit);
    return c.json(sorted.map(([value, counters]) => breakdownMetrics(value, counters, kind)));
  });

  app.get(API_PATHS.dropped, async (c) => {
    const { site, range, filters } = await statsRequest(c, deps);
    // Dropped events were never sessionised: they have no dimension a filter could select.
    if (filters.size > 0)
      throw new Refusal('"filter" does not apply to dropped events, which are counted by reason only');
    return c.json(await deps.store.dropped(site.id, range.fromBucket, range.toBucket));
  });

  app.get(API_PATHS.realtime, async (c) => {
    const site = await authorisedSite(c, deps);
    if (c.req.query('filter') !== undefined) {
      throw new Refusal(
        '"filter" does not apply to realtime, which counts every visitor of the last 5 minutes',
      );
    }
    return c.json({ visitors: await deps.store.liveVisitors(site.id, deps.clock() - REALTIME_MS) });
  });

  app.get(API_PATHS.export, async (c) => {
    const { site, range, filters } = await statsRequest(c, deps);
    const interval = c.req.query('interval') ?? 'hour';
    if (interval !== 'hour' && interval !== 'day') throw new Refusal('"interval" must be hour or day');
    const csv = await exportCsv(deps.store, site, range, interval, filters);
    c.header('Content-Disposition', `attachment; filename="glimt-${site.domain}.csv"`);
    return c.body(csv, 200, { 'Content-Type': 'text/csv; charset=utf-8' });
  });

  return app;
}

async function authorisedSite(c: Context, deps: AppDeps): Promise<Site> {
  const { reader, via } = await requireReader(c, deps);
  const domain = c.req.query('site');
  if (!domain) throw new Refusal('"site" is required');
  const site = await deps.sites.find(domain.toLowerCase());
  // A share reader learns nothing of other sites, not even whether one is registered.
  if (reader.kind === 'share' && reader.siteId !== site?.id) {
    throw new Refusal(
      `this share ${via === 'cookie' ? 'login' : 'token'} does not grant access to ${domain}`,
      403,
    );
  }
  if (!site) throw new Refusal(`"site": ${JSON.stringify(domain)} is not a registered site`, 404);
  // Only an authorised read makes the collector write what it has acknowledged so far.
  await deps.settle?.();
  return site;
}

async function statsRequest(
  c: Context,
  deps: AppDeps,
): Promise<{ site: Site; range: StatsRange; filters: Filters }> {
  const site = await authorisedSite(c, deps);
  const range = parseRange(c.req.query('from'), c.req.query('to'), site.timezone);
  if (typeof range === 'string') throw new Refusal(range);
  const filters = parseFilters(c.req.queries('filter') ?? []);
  if (typeof filters === 'string') throw new Refusal(filters);
  return { site, range, filters };
}

function parseDimension(text: string | undefined, field: string): BreakdownDimension {
  if (!text) throw new Refusal(`"${field}" is required: one of ${BREAKDOWN_DIMENSIONS.join(', ')}`);
  if (!(BREAKDOWN_DIMENSIONS as readonly string[]).includes(text)) {
    throw new Refusal(`"${field}": ${JSON.stringify(text)} is not one of ${BREAKDOWN_DIMENSIONS.join(', ')}`);
  }
  return text as BreakdownDimension;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 10;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new Refusal('"limit" must be an integer from 1 to 1000');
  return limit;
}

function parseInterval(text: string | undefined, range: StatsRange): Interval {
  if (text === undefined) return range.toDay - range.fromDay + 1 <= 2 ? 'hour' : 'day';
  if (text === 'hour' || text === 'day' || text === 'month') return text;
  throw new Refusal('"interval" must be hour, day or month');
}
