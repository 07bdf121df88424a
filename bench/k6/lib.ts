/**
 * @module Helpers for the k6 scripts: the stats-API counts for the loss check, and a
 * plain-text summary. k6 runtime only (k6/http is synchronous).
 */
import http from 'k6/http';
import { ENGAGED_MS } from '../workload.ts';

export interface Counts {
  pageview: number;
  custom: number;
  bot: number;
  gpc: number;
  dnt: number;
  no_visit: number;
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

function getJson<T>(base: string, token: string, path: string): T {
  const res = http.get(`${base}${path}`, {
    headers: { Authorization: `Bearer ${token}` },
    tags: { name: 'stats (loss check)' },
    // The options discard response bodies (ingest answers are empty): these need theirs.
    responseType: 'text',
  });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${String(res.body)}`);
  return JSON.parse(String(res.body)) as T;
}

/** What the stats API counts now for `sites`, over yesterday..tomorrow (UTC). */
export function statsCounts(base: string, token: string, sites: readonly string[]): Counts {
  const total: Counts = { pageview: 0, custom: 0, bot: 0, gpc: 0, dnt: 0, no_visit: 0 };
  for (const site of sites) {
    const q = `site=${encodeURIComponent(site)}&from=${day(-1)}&to=${day(1)}`;
    total.pageview += getJson<{ pageviews: number }>(base, token, `/api/stats/aggregate?${q}`).pageviews;
    for (const row of getJson<{ events: number }[]>(
      base,
      token,
      `/api/stats/breakdown?${q}&by=event&limit=1000`,
    )) {
      total.custom += row.events;
    }
    for (const row of getJson<{ reason: string; events: number }[]>(base, token, `/api/stats/dropped?${q}`)) {
      if (row.reason in total) total[row.reason as keyof Counts] += row.events;
    }
  }
  return total;
}

/** The subset of k6's end-of-test data that the summary reads. */
export interface SummaryData {
  metrics: Record<
    string,
    { type: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }
  >;
  state: { testRunDurationMs: number };
}

const count = (data: SummaryData, name: string) => data.metrics[name]?.values.count ?? 0;

export interface K6LossCheck {
  checked: boolean;
  ok: boolean;
  lines: string[];
}

/**
 * Acknowledged (202) events per class, from the VUs' counters, against what the stats
 * counted between setup and teardown. Engagements are not counted by any endpoint: only
 * those dropped as `no_visit` are visible, so they are bounded, not matched.
 */
export function lossCheck(data: SummaryData): K6LossCheck {
  if (!data.metrics.stats_checked)
    return { checked: false, ok: true, lines: ['loss check skipped (no ADMIN_TOKEN)'] };
  const lines: string[] = [];
  let ok = true;
  for (const cls of ['pageview', 'custom', 'bot', 'gpc', 'dnt'] as const) {
    const acked = count(data, `acked_${cls}`);
    const counted = count(data, `counted_${cls}`);
    if (acked !== counted) ok = false;
    lines.push(
      `${cls.padEnd(10)} acknowledged ${acked}  counted ${counted}${acked === counted ? '' : '  MISMATCH'}`,
    );
  }
  const engagements = count(data, 'acked_engagement');
  const noVisit = count(data, 'counted_no_visit');
  if (noVisit > engagements) ok = false;
  lines.push(
    `engagement acknowledged ${engagements}  of which dropped as no_visit ${noVisit} (the rest add ${ENGAGED_MS} ms of engaged time each)`,
  );
  const sent = count(data, 'events_sent');
  const acked = count(data, 'events_acked');
  if (sent !== acked) ok = false;
  lines.unshift(`sent ${sent}  acknowledged ${acked}`);
  return { checked: true, ok, lines };
}

export function textSummary(data: SummaryData, scenario: string, loss: K6LossCheck): string {
  const d = data.metrics.http_req_duration?.values ?? {};
  const fmt = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(2)} ms`);
  const failed = data.metrics.http_req_failed?.values.rate ?? 0;
  const reqs = data.metrics.http_reqs?.values ?? {};
  const dropped = count(data, 'dropped_iterations');
  const out = [
    `glimt k6 ${scenario}: ${reqs.count ?? 0} requests in ${(data.state.testRunDurationMs / 1000).toFixed(1)} s (${(reqs.rate ?? 0).toFixed(0)}/s)`,
    `  latency p50 ${fmt(d.med)}  p90 ${fmt(d['p(90)'])}  p95 ${fmt(d['p(95)'])}  p99 ${fmt(d['p(99)'])}  max ${fmt(d.max)}`,
    `  failed ${(failed * 100).toFixed(3)}%  dropped iterations ${dropped}`,
  ];
  for (const [name, metric] of Object.entries(data.metrics)) {
    for (const [threshold, result] of Object.entries(metric.thresholds ?? {})) {
      out.push(`  threshold ${name} ${threshold}: ${result.ok ? 'ok' : 'FAILED'}`);
    }
  }
  out.push(
    `  loss check: ${loss.checked ? (loss.ok ? 'ok' : 'FAILED') : 'skipped'}`,
    ...loss.lines.map((l) => `    ${l}`),
  );
  return `${out.join('\n')}\n`;
}
