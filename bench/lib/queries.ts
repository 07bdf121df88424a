/**
 * @module Stats queries over a year of data, through the real HTTP API of a running Glimt:
 * what the dashboard asks when it opens on "last 12 months".
 */
import { BENCH_ADMIN_TOKEN } from './servers.ts';
import { percentiles, type Summary } from './stats.ts';

export interface QueryResult {
  name: string;
  path: string;
  samples: number;
  latency: Summary;
  /** Rows (or fields) in the answer, to show the query did real work. */
  answer: string;
  /** A filtered view (the visit grain), outside the ≤ 50 ms target. */
  filtered: boolean;
}

export function yearQueries(site: string, from: string, to: string): { name: string; path: string }[] {
  const q = `site=${encodeURIComponent(site)}&from=${from}&to=${to}`;
  return [
    { name: 'aggregate', path: `/api/stats/aggregate?${q}` },
    { name: 'timeseries (day)', path: `/api/stats/timeseries?${q}&interval=day` },
    { name: 'breakdown (page)', path: `/api/stats/breakdown?${q}&by=page&limit=10` },
    { name: 'breakdown (source)', path: `/api/stats/breakdown?${q}&by=source&limit=10` },
    // Filtered views read the visit grain (ARCHITECTURE.md, "Filters"), not the rollups.
    {
      name: 'aggregate, 2 filters',
      path: `/api/stats/aggregate?${q}&filter=source:Google&filter=device:Mobile`,
    },
    {
      name: 'breakdown (page) of source=Google',
      path: `/api/stats/breakdown?${q}&by=page&limit=10&filter=source:Google`,
    },
  ];
}

/** Each query `samples` times one after another (after 5 warm-ups), at most `maxSeconds` each. */
export async function runQueries(
  origin: string,
  queries: { name: string; path: string }[],
  options: { samples?: number; maxSeconds?: number; progress?: (line: string) => void } = {},
): Promise<QueryResult[]> {
  const results: QueryResult[] = [];
  for (const query of queries) {
    const get = async () => {
      const response = await fetch(origin + query.path, {
        headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` },
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${query.path}: ${response.status} ${text}`);
      return text;
    };
    let answer = '';
    for (let i = 0; i < 5; i++) answer = await get();
    const times: number[] = [];
    const until = performance.now() + (options.maxSeconds ?? 8) * 1000;
    while (times.length < (options.samples ?? 100) && performance.now() < until) {
      const t = performance.now();
      await get();
      times.push(performance.now() - t);
    }
    const parsed = JSON.parse(answer) as unknown;
    const summary = Array.isArray(parsed)
      ? `${parsed.length} rows`
      : `pageviews ${(parsed as { pageviews?: number }).pageviews ?? '?'}`;
    results.push({
      ...query,
      samples: times.length,
      latency: percentiles(times),
      answer: summary,
      filtered: query.path.includes('&filter='),
    });
    options.progress?.(`${query.name}: p50 ${percentiles(times).p50} ms`);
  }
  return results;
}
