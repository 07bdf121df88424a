/**
 * @module Dimension and metric names: the one source of truth for API, rollups, CSV and tests.
 */

/**
 * Every dimension a rollup row can belong to. The numeric code is what storage keeps
 * (`rollup_hour.dim`), so codes are append-only: never renumber one.
 */
export const DIMENSION_CODES = {
  total: 0,
  page: 1,
  entry_page: 2,
  exit_page: 3,
  source: 4,
  referrer: 5,
  utm_source: 6,
  utm_medium: 7,
  utm_campaign: 8,
  browser: 9,
  os: 10,
  device: 11,
  country: 12,
  event: 13,
  browser_version: 14,
  utm_term: 15,
  utm_content: 16,
} as const;

export type Dimension = keyof typeof DIMENSION_CODES;

/** The `by=` values of the stats API, in the contract's order, and what `filter=` accepts. */
export const BREAKDOWN_DIMENSIONS = [
  'page',
  'entry_page',
  'exit_page',
  'source',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'browser',
  'browser_version',
  'os',
  'device',
  'country',
  'event',
] as const satisfies readonly Dimension[];
export type BreakdownDimension = (typeof BREAKDOWN_DIMENSIONS)[number];

/**
 * Dimensions that belong to the visit: set by its first pageview, shared by all its events.
 * Their rows carry the visit metrics (visits, pageviews, bounces, duration).
 */
export const VISIT_DIMENSIONS = [
  'source',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'browser',
  'browser_version',
  'os',
  'device',
  'country',
] as const satisfies readonly Dimension[];
export type VisitDimension = (typeof VISIT_DIMENSIONS)[number];

/** The stored counters of one rollup row. All are additive over time. */
export const COUNTERS = [
  'visitors',
  'visits',
  'pageviews',
  'events',
  'bounces',
  'duration_ms',
  'engaged_ms',
] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counters = Record<Counter, number>;

/** Which API metrics apply to which dimension (CONTRACT.md, "What a dimension's rows count"). */
export type DimensionKind = 'visit' | 'entry_exit' | 'page' | 'event';
export function dimensionKind(dim: Dimension): DimensionKind {
  if (dim === 'page') return 'page';
  if (dim === 'event') return 'event';
  if (dim === 'entry_page' || dim === 'exit_page') return 'entry_exit';
  return 'visit';
}

/** The value stored when a visit has nothing for a dimension (no referrer, no utm tag, no country). */
export const NONE = '(none)';
export const DIRECT = 'Direct';
