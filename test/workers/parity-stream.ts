/**
 * What the parity test (parity.test.ts) replays and asks, shared by its two sides: Node +
 * SQLite (global-setup.ts, in Node) and Workers + Queue + D1 (parity.test.ts, in workerd).
 * Runtime-free: both import it.
 */
import { BREAKDOWN_DIMENSIONS } from '../../collector/core/dimensions.ts';
import { generateStream, STREAM_DAYS, STREAM_SITES, type StreamEvent } from '../support/stream/generate.ts';

export const PARITY_SEED = 20260307;
/** ~15,000 events; `PARITY_VISITORS=5400` replays the full ~53,000-event stream. */
export const PARITY_VISITORS = 1500;
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

// The ordered replay is shared with the Node reference model (test/node/reference-model.test.ts).
export { orderKey, replay } from '../support/stream/replay.ts';
export { STREAM_SITES };

export function parityStream(visitors: number): StreamEvent[] {
  return generateStream(PARITY_SEED, visitors).events;
}

/** What the Node side hands the Workers side (vitest `provide`/`inject`). */
export interface NodeParity {
  visitors: number;
  /** SHA-256 of the stream as JSON: both sides must replay the very same events. */
  digest: string;
  /** The answer to each event, in stream order. */
  statuses: number[];
  /** The country Node's dataset gives each event's truncated address, in stream order. */
  countries: (string | null)[];
  /** Each stats path and its answer. */
  answers: { path: string; status: number; body: unknown }[];
  replayMs: number;
}

export async function digestOf(events: readonly StreamEvent[]): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(events));
  const hash = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The request headers of a stream event, as the tracker's browser would send them. */
export function eventHeaders(event: StreamEvent): Record<string, string> {
  return {
    'content-type': 'text/plain',
    'user-agent': event.ua,
    ...event.headers,
    'x-test-time': String(event.time),
  };
}

/**
 * Every stats answer compared: per site, aggregates (the range, each day, single hours,
 * an instant range that estimates visitors, filters, several at once), timeseries (hourly per day, daily
 * over the range), every breakdown (the range and the middle day, up to 1,000 rows), the
 * drop log, and the CSV export.
 */
export function parityPaths(): string[] {
  const [first, middle, last] = STREAM_DAYS;
  const paths: string[] = [];
  for (const { domain } of STREAM_SITES) {
    const q = (from: string, to: string) =>
      `site=${encodeURIComponent(domain)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const range = q(first, last);
    paths.push(`/api/stats/aggregate?${range}`);
    for (const day of STREAM_DAYS) paths.push(`/api/stats/aggregate?${q(day, day)}`);
    for (const [from, to] of [
      ['2026-03-08T14:00:00Z', '2026-03-08T15:00:00Z'],
      ['2026-03-07T23:00:00Z', '2026-03-08T00:00:00Z'],
      ['2026-03-08T06:30:00Z', '2026-03-09T13:00:00Z'],
    ] as const) {
      paths.push(`/api/stats/aggregate?${q(from, to)}`);
      paths.push(`/api/stats/breakdown?${q(from, to)}&by=page&limit=1000`);
    }
    paths.push(`/api/stats/aggregate?${range}&filter=source:Google`);
    // Filtered views the rollups cannot answer: the visit grain, written by each runtime's commit.
    const google = 'filter=source:Google';
    paths.push(`/api/stats/aggregate?${range}&${google}&filter=device:Mobile&filter=device:Desktop`);
    paths.push(`/api/stats/aggregate?${q(middle, middle)}&filter=page:%2F&filter=browser:Chrome`);
    paths.push(`/api/stats/breakdown?${range}&by=page&limit=1000&${google}`);
    paths.push(`/api/stats/breakdown?${range}&by=source&limit=1000&filter=page:%2F`);
    paths.push(`/api/stats/breakdown?${q(middle, middle)}&by=event&limit=1000&filter=entry_page:%2F`);
    paths.push(`/api/stats/timeseries?${q(middle, middle)}&interval=hour&${google}&filter=os:Windows`);
    paths.push(`/api/export?${q(middle, middle)}&interval=day&${google}`);
    paths.push(`/api/stats/timeseries?${range}&interval=day`);
    for (const day of STREAM_DAYS) paths.push(`/api/stats/timeseries?${q(day, day)}&interval=hour`);
    for (const by of BREAKDOWN_DIMENSIONS) {
      paths.push(`/api/stats/breakdown?${range}&by=${by}&limit=1000`);
      paths.push(`/api/stats/breakdown?${q(middle, middle)}&by=${by}&limit=1000`);
    }
    paths.push(`/api/stats/dropped?${range}`);
    paths.push(`/api/export?${range}&interval=day`);
    paths.push(`/api/export?${q(middle, middle)}&interval=hour`);
  }
  return paths;
}

/** JSON answers parsed, CSV kept as text. */
export async function readAnswer(response: Response): Promise<unknown> {
  const text = await response.text();
  return (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
}
