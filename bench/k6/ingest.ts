/**
 * @module k6 load test of `POST /api/event`, the same traffic as `npm run bench`.
 *
 *   GLIMT_SITES=news.example.com,shop.example.org,docs.example.net,blog.example.io,app.example.dev \
 *   GLIMT_TRUST_PROXY=1 GLIMT_ADMIN_TOKEN=bench-admin-token-0123456789abcdef npm start
 *   k6 run -e SCENARIO=ramp -e ADMIN_TOKEN=bench-admin-token-0123456789abcdef bench/k6/ingest.ts
 *
 * TypeScript runs as is on k6 ≥ 0.57 (k6 0.52–0.56: add `--compatibility-mode=experimental_enhanced`).
 *
 * Environment (`-e NAME=value`):
 *   BASE_URL      default http://127.0.0.1:8787
 *   SCENARIO      constant (default) | ramp | spike | soak | saturation
 *   RATE          events/s for `constant` (default 5000); DURATION (default 60s)
 *   SINGLE_VISITOR=1   every request from one visitor (the contrast case)
 *   ADMIN_TOKEN   enables the loss check through the stats API (setup/teardown)
 *   P99_MS        the p99 threshold, ms (default 10)
 *   SUMMARY       where handleSummary writes its JSON (default bench/results/k6-SCENARIO.json)
 *
 * Against the bare-Hono ceiling (`PORT=8788 node --import tsx bench/ceiling-server.ts`), use
 * `-e BASE_URL=http://127.0.0.1:8788` without ADMIN_TOKEN.
 *
 * Every VU generates its own stream of visitors (another /24 in `X-Forwarded-For` per
 * visitor; Glimt must run with GLIMT_TRUST_PROXY=1), from bench/workload.ts.
 */
import { check } from 'k6';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import type { Options, Scenario } from 'k6/options';
import { BENCH_SITES, type EventClass, TrafficStream } from '../workload.ts';
import { type Counts, lossCheck, type SummaryData, statsCounts, textSummary } from './lib.ts';

const BASE_URL = __ENV.BASE_URL ?? 'http://127.0.0.1:8787';
const SCENARIO = __ENV.SCENARIO ?? 'constant';
const RATE = Number(__ENV.RATE ?? 5000);
const DURATION = __ENV.DURATION ?? '60s';
const P99_MS = Number(__ENV.P99_MS ?? 10);
const ADMIN_TOKEN = __ENV.ADMIN_TOKEN ?? '';
const SINGLE_VISITOR = __ENV.SINGLE_VISITOR === '1';
const SITES = BENCH_SITES.map((s) => s.domain);

const scenarios: Record<string, Scenario> = {
  constant: {
    executor: 'constant-arrival-rate',
    rate: RATE,
    timeUnit: '1s',
    duration: DURATION,
    preAllocatedVUs: 100,
    maxVUs: 400,
  },
  ramp: {
    executor: 'ramping-arrival-rate',
    startRate: 1000,
    timeUnit: '1s',
    preAllocatedVUs: 100,
    maxVUs: 1000,
    stages: [
      { target: 1000, duration: '20s' },
      { target: 5000, duration: '30s' },
      { target: 5000, duration: '30s' },
      { target: 10_000, duration: '30s' },
      { target: 10_000, duration: '30s' },
      { target: 40_000, duration: '90s' },
    ],
  },
  spike: {
    executor: 'ramping-arrival-rate',
    startRate: 1000,
    timeUnit: '1s',
    preAllocatedVUs: 200,
    maxVUs: 2000,
    stages: [
      { target: 1000, duration: '30s' },
      { target: 10_000, duration: '5s' },
      { target: 10_000, duration: '30s' },
      { target: 1000, duration: '5s' },
      { target: 1000, duration: '60s' },
    ],
  },
  soak: {
    executor: 'constant-arrival-rate',
    rate: 5000,
    timeUnit: '1s',
    duration: __ENV.DURATION ?? '2h',
    preAllocatedVUs: 100,
    maxVUs: 400,
  },
  saturation: { executor: 'constant-vus', vus: 50, duration: DURATION },
};

const chosen = scenarios[SCENARIO];
if (!chosen) throw new Error(`SCENARIO=${SCENARIO}: one of ${Object.keys(scenarios).join(', ')}`);

export const options: Options = {
  scenarios: { [SCENARIO]: chosen },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    // Saturation is about throughput; the latency target applies to arrival-rate scenarios.
    ...(SCENARIO === 'saturation' ? {} : { 'http_req_duration{name:ingest}': [`p(99)<${P99_MS}`] }),
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  discardResponseBodies: true,
};

const sent = new Counter('events_sent');
const ackedAll = new Counter('events_acked');
const acked: Record<EventClass, Counter> = {
  pageview: new Counter('acked_pageview'),
  custom: new Counter('acked_custom'),
  engagement: new Counter('acked_engagement'),
  bot: new Counter('acked_bot'),
  gpc: new Counter('acked_gpc'),
  dnt: new Counter('acked_dnt'),
};
const counted: Record<keyof Counts, Counter> = {
  pageview: new Counter('counted_pageview'),
  custom: new Counter('counted_custom'),
  bot: new Counter('counted_bot'),
  gpc: new Counter('counted_gpc'),
  dnt: new Counter('counted_dnt'),
  no_visit: new Counter('counted_no_visit'),
};
const statsChecked = new Counter('stats_checked');

let stream: TrafficStream | undefined;

export function setup(): { before: Counts | null } {
  return { before: ADMIN_TOKEN ? statsCounts(BASE_URL, ADMIN_TOKEN, SITES) : null };
}

export default function (): void {
  // One stream per VU, each with its own range of visitors.
  stream ??= new TrafficStream({
    seed: __VU,
    visitorBase: __VU * 1_000_000,
    liveSessions: 200,
    singleVisitor: SINGLE_VISITOR,
  });
  const r = stream.next();
  const res = http.post(`${BASE_URL}/api/event`, r.body, {
    headers: {
      'Content-Type': r.contentType,
      'User-Agent': r.userAgent,
      Origin: `https://${r.site}`,
      'X-Forwarded-For': r.ip,
      ...r.headers,
    },
    tags: { name: 'ingest' },
    responseCallback: http.expectedStatuses(202, 204),
  });
  sent.add(1);
  if (check(res, { 'accepted (202)': (x) => x.status === 202 || x.status === 204 })) {
    ackedAll.add(1);
    acked[r.cls].add(1);
  }
}

export function teardown(data: { before: Counts | null }): void {
  if (!data.before || !ADMIN_TOKEN) return;
  const after = statsCounts(BASE_URL, ADMIN_TOKEN, SITES);
  for (const key of Object.keys(counted) as (keyof Counts)[]) counted[key].add(after[key] - data.before[key]);
  statsChecked.add(1);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const loss = lossCheck(data);
  const file = __ENV.SUMMARY ?? `bench/results/k6-${SCENARIO}.json`;
  return {
    stdout: textSummary(data, SCENARIO, loss),
    [file]: JSON.stringify(
      { scenario: SCENARIO, baseUrl: BASE_URL, singleVisitor: SINGLE_VISITOR, loss, data },
      null,
      2,
    ),
  };
}
