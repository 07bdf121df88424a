/**
 * @module The wire protocol between tracker and collector: the one source of truth.
 *
 * The collector validates against these limits, the tracker imports the types
 * (type-only, so nothing here reaches the script's bytes), and the tests build
 * payloads from them. See ../shared/CONTRACT.md, "Ingest".
 */

/** What the tracker posts to `POST /api/event` (JSON, sent as text/plain or application/json). */
export interface EventPayload {
  /** A registered site's domain. */
  site: string;
  /** `pageview`, `engagement`, or a custom event name. */
  name: string;
  /** Absolute http(s) URL of the page. */
  url: string;
  /** `document.referrer`. */
  referrer?: string;
  /** Screen width in CSS pixels. */
  width?: number;
  /** Visible time on the page in ms; required on `engagement`. */
  engaged_ms?: number;
  /** Custom properties. */
  props?: Record<string, PropValue>;
}

export type PropValue = string | number | boolean;

export const PAGEVIEW = 'pageview';
export const ENGAGEMENT = 'engagement';

export const LIMITS = {
  /** Bytes of request body. */
  bodyBytes: 16 * 1024,
  eventNameChars: 120,
  urlChars: 2048,
  referrerChars: 2048,
  siteChars: 253,
  maxWidth: 100_000,
  maxEngagedMs: 86_400_000,
  propKeys: 30,
  propKeyChars: 300,
  propValueChars: 2000,
} as const;

/** Query parameters kept from page URLs, each read into its own dimension. */
export const UTM_PARAMS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;
export type UtmParam = (typeof UTM_PARAMS)[number];

export const INGEST_PATH = '/api/event';
export const TRACKER_PATH = '/t.js';

/** The dashboard's page and assets, and the API it calls (CONTRACT.md, "Stats API"). */
export const DASHBOARD_PATHS = {
  page: '/',
  script: '/dashboard.js',
  style: '/dashboard.css',
} as const;

export const API_PATHS = {
  session: '/api/session',
  sites: '/api/sites',
  aggregate: '/api/stats/aggregate',
  timeseries: '/api/stats/timeseries',
  breakdown: '/api/stats/breakdown',
  dropped: '/api/stats/dropped',
  realtime: '/api/stats/realtime',
  export: '/api/export',
} as const;
