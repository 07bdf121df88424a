/**
 * CSV export (CONTRACT.md, "CSV export") against the real `glimt serve`: format (RFC 4180,
 * `\r\n`, header), formula neutralisation, round-trips, empty non-applicable metrics, and
 * sums that equal the stats API. Also `glimt export --out FILE` gives the same bytes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROME_UA, closeAgents, postEvent } from '../support/post.ts';
import { ADMIN_TOKEN, getJson, type RunningServer, startServer } from '../support/server.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const HEADER = 'period,site,dimension,value,visitors,visits,pageviews,events,bounces,visit_duration_s';
const FIREFOX_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

const HYPERLINK = '=HYPERLINK("http://evil.example/x","click")';
const COMMA_QUOTE = 'say "hi", world';
const FORMULA_PAGE = '/=cmd|calc';
const COMMA_PAGE = '/a,"b"';
const CUSTOM_EVENTS = ['signup', '=1+2', '-5', '\ttabbed', '\rcarriage'];

type Row = Record<(typeof COLUMNS)[number], string>;
const COLUMNS = HEADER.split(',') as [
  'period',
  'site',
  'dimension',
  'value',
  'visitors',
  'visits',
  'pageviews',
  'events',
  'bounces',
  'visit_duration_s',
];

const day = new Date().toISOString().slice(0, 10);

function utmUrl(path: string, tags: Record<string, string>): string {
  return `https://example.com${path}?${new URLSearchParams({ secret: 'drop-me', ...tags })}`;
}

function parseCsv(text: string): Row[] {
  return parse(text, { columns: true, record_delimiter: '\r\n' }) as Row[];
}

async function exportCsv(server: RunningServer, interval: 'hour' | 'day', filters = ''): Promise<string> {
  const response = await fetch(
    `${server.url}/api/export?site=example.com&from=${day}&to=${day}&interval=${interval}${filters}`,
    {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    },
  );
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
  return response.text();
}

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'collector/bin/glimt.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('CSV export', () => {
  let server: RunningServer;
  let hourly = '';
  let daily = '';
  let aggregate: {
    visitors: number;
    visits: number;
    pageviews: number;
    bounce_rate: number;
    visit_duration: number;
  };

  beforeAll(async () => {
    server = await startServer();
    const send = async (localAddress: string, body: Record<string, unknown>, userAgent = CHROME_UA) => {
      const response = await postEvent(
        server.url,
        { site: 'example.com', ...body },
        { localAddress, userAgent },
      );
      expect(response.status, JSON.stringify(body)).toBe(202);
    };
    // Visitor A: from Google, two pages, engaged time, a custom event.
    const a = '127.77.1.10';
    await send(a, {
      name: 'pageview',
      url: 'https://example.com/',
      referrer: 'https://www.google.com/search?q=x',
    });
    await send(a, { name: 'pageview', url: 'https://example.com/pricing' });
    await send(a, { name: 'engagement', url: 'https://example.com/pricing', engaged_ms: 12_000 });
    await send(a, { name: 'signup', url: 'https://example.com/pricing', props: { plan: 'pro' } });
    // Visitor B: formula-looking utm tags and page, a comma and a quote, formula-looking event names.
    const b = '127.77.2.10';
    await send(b, {
      name: 'pageview',
      url: utmUrl(FORMULA_PAGE, {
        utm_source: '@evil',
        utm_medium: '-2+3',
        utm_campaign: HYPERLINK,
        utm_term: '+term',
        utm_content: COMMA_QUOTE,
      }),
    });
    for (const name of CUSTOM_EVENTS.slice(1)) {
      await send(b, { name, url: `https://example.com${encodeURI(FORMULA_PAGE)}` });
    }
    // Visitors C and D: one /24, two browsers; one bounce each.
    await send('127.77.3.10', {
      name: 'pageview',
      url: `https://example.com${encodeURI(COMMA_PAGE)}`,
      referrer: 'https://news.example.net/story?id=1',
    });
    await send('127.77.3.11', { name: 'pageview', url: 'https://example.com/pricing' }, FIREFOX_UA);

    hourly = await exportCsv(server, 'hour');
    daily = await exportCsv(server, 'day');
    aggregate = await getJson(server, `/api/stats/aggregate?site=example.com&from=${day}&to=${day}`);
  });

  afterAll(async () => {
    closeAgents();
    await server?.stop();
  });

  it('the stats API saw what was sent', () => {
    expect(aggregate).toMatchObject({ visitors: 4, visits: 4, pageviews: 5, bounce_rate: 0.5 });
  });

  for (const interval of ['hour', 'day'] as const) {
    describe(`interval=${interval}`, () => {
      const text = () => (interval === 'hour' ? hourly : daily);
      const rows = () => parseCsv(text());

      it('has the exact header row and \\r\\n line ends', () => {
        expect(text().split('\r\n')[0]).toBe(HEADER);
        expect(text().endsWith('\r\n')).toBe(true);
        expect(/(^|[^\r])\n/.test(text())).toBe(false);
        expect(rows().length).toBeGreaterThan(10);
        const periods = new Set(rows().map((row) => row.period));
        for (const period of periods) {
          expect(period).toMatch(
            interval === 'hour' ? /^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/ : /^\d{4}-\d{2}-\d{2}$/,
          );
        }
        for (const row of rows()) expect(row.site).toBe('example.com');
      });

      it('prefixes every formula-looking cell with a quote', () => {
        for (const row of rows()) {
          for (const column of COLUMNS)
            expect(row[column], `${row.dimension} ${column}`).not.toMatch(/^[=+\-@\t\r]/);
        }
        const values = (dimension: string) =>
          rows()
            .filter((r) => r.dimension === dimension)
            .map((r) => r.value);
        expect(values('utm_campaign')).toContain(`'${HYPERLINK}`);
        expect(values('utm_source')).toContain("'@evil");
        expect(values('source')).toContain("'@evil");
        expect(values('utm_medium')).toContain("'-2+3");
        expect(values('utm_term')).toContain("'+term");
        expect(values('event')).toEqual(
          expect.arrayContaining(["'=1+2", "'-5", "'\ttabbed", "'\rcarriage", 'signup']),
        );
        // A path starts with "/": nothing to neutralise, and nothing is changed.
        expect(values('page')).toContain(FORMULA_PAGE);
      });

      it('round-trips a value with a comma and a double quote (RFC 4180 quoting)', () => {
        expect(text()).toContain('"say ""hi"", world"');
        const values = (dimension: string) =>
          rows()
            .filter((r) => r.dimension === dimension)
            .map((r) => r.value);
        expect(values('utm_content')).toContain(COMMA_QUOTE);
        expect(values('page')).toContain(COMMA_PAGE);
        expect(values('referrer')).toContain('news.example.net/story');
        // Query strings other than utm_* never reach the export.
        expect(text()).not.toContain('drop-me');
        expect(text()).not.toContain('q=x');
      });

      it('total rows add up to the aggregate API', () => {
        const totals = rows().filter((row) => row.dimension === 'total');
        const sum = (column: keyof Row) => totals.reduce((acc, row) => acc + Number(row[column]), 0);
        expect(sum('visits')).toBe(aggregate.visits);
        expect(sum('pageviews')).toBe(aggregate.pageviews);
        expect(sum('bounces')).toBe(Math.round(aggregate.bounce_rate * aggregate.visits));
        expect(
          Math.abs(sum('visit_duration_s') / sum('visits') - aggregate.visit_duration),
        ).toBeLessThanOrEqual(0.1);
        expect(sum('visit_duration_s')).toBeGreaterThanOrEqual(12);
        if (interval === 'day') expect(sum('visitors')).toBe(aggregate.visitors);
      });

      it('page pageviews add up to the total; event rows add up to the custom events sent', () => {
        const sum = (dimension: string, column: keyof Row) =>
          rows()
            .filter((row) => row.dimension === dimension)
            .reduce((acc, row) => acc + Number(row[column]), 0);
        expect(sum('page', 'pageviews')).toBe(aggregate.pageviews);
        expect(sum('event', 'events')).toBe(CUSTOM_EVENTS.length);
        expect(sum('entry_page', 'visits')).toBe(aggregate.visits);
        expect(sum('exit_page', 'visits')).toBe(aggregate.visits);
        expect(sum('source', 'visits')).toBe(aggregate.visits);
        expect(sum('source', 'pageviews')).toBe(aggregate.pageviews);
        expect(sum('browser', 'bounces')).toBe(2);
      });

      it('every visit dimension splits the same visits, pageviews, bounces and duration as total', () => {
        const sums = (dimension: string) => {
          const sum = (column: keyof Row) =>
            rows()
              .filter((row) => row.dimension === dimension)
              .reduce((acc, row) => acc + Number(row[column]), 0);
          return {
            visits: sum('visits'),
            pageviews: sum('pageviews'),
            bounces: sum('bounces'),
            duration: Math.round(sum('visit_duration_s') * 1000),
          };
        };
        const total = sums('total');
        expect(total.visits).toBe(4);
        const visitDimensions = [
          'source',
          'referrer',
          'utm_source',
          'utm_medium',
          'utm_campaign',
          'utm_term',
        ];
        for (const dimension of [...visitDimensions, 'utm_content', 'browser', 'os', 'device', 'country']) {
          expect(sums(dimension), dimension).toEqual(total);
        }
        for (const dimension of ['entry_page', 'exit_page']) {
          expect(sums(dimension), dimension).toEqual({ ...total, pageviews: 0 });
        }
      });

      it('leaves the metrics that do not apply empty, and fills those that do', () => {
        const empty: Record<string, (keyof Row)[]> = {
          page: ['visits', 'events', 'bounces', 'visit_duration_s'],
          event: ['visits', 'pageviews', 'bounces', 'visit_duration_s'],
          entry_page: ['pageviews', 'events'],
          exit_page: ['pageviews', 'events'],
          total: ['events'],
          source: ['events'],
          utm_campaign: ['events'],
        };
        const filled: Record<string, (keyof Row)[]> = {
          page: ['visitors', 'pageviews'],
          event: ['visitors', 'events'],
          entry_page: ['visitors', 'visits', 'bounces', 'visit_duration_s'],
          total: ['visitors', 'visits', 'pageviews', 'bounces', 'visit_duration_s'],
          source: ['visitors', 'visits', 'pageviews', 'bounces', 'visit_duration_s'],
        };
        const dimensions = new Set(rows().map((row) => row.dimension));
        for (const dimension of Object.keys(empty)) expect(dimensions).toContain(dimension);
        for (const row of rows()) {
          for (const column of empty[row.dimension] ?? [])
            expect(row[column], `${row.dimension} ${column}`).toBe('');
          for (const column of filled[row.dimension] ?? []) {
            expect(row[column], `${row.dimension} ${column}`).toMatch(/^\d+(\.\d+)?$/);
          }
        }
      });
    });
  }

  it('a filtered export holds the filtered traffic only, and adds up to the filtered aggregate', async () => {
    // The visits that viewed /pricing, in Chrome: visitor A's (from Google, with a custom event).
    const filters = '&filter=page:/pricing&filter=browser:Chrome';
    const filtered = await getJson<Record<string, number>>(
      server,
      `/api/stats/aggregate?site=example.com&from=${day}&to=${day}${filters}`,
    );
    expect(filtered).toEqual({
      visitors: 1,
      visits: 1,
      pageviews: 1, // of /pricing only
      bounce_rate: 0,
      visit_duration: expect.any(Number),
      views_per_visit: 1,
    });
    const rows = parseCsv(await exportCsv(server, 'day', filters));
    const of = (dimension: string) => rows.filter((row) => row.dimension === dimension);
    expect(of('total').map((row) => [row.visitors, row.visits, row.pageviews])).toEqual([['1', '1', '1']]);
    expect(of('source').map((row) => row.value)).toEqual(['Google']);
    expect(of('page').map((row) => [row.value, row.pageviews])).toEqual([['/pricing', '1']]);
    expect(of('event').map((row) => [row.value, row.events])).toEqual([[CUSTOM_EVENTS[0], '1']]);
    const seconds = of('total').reduce((sum, row) => sum + Number(row.visit_duration_s), 0);
    expect(seconds).toBeCloseTo(filtered.visit_duration ?? -1, 1);

    const out = join(mkdtempSync(join(tmpdir(), 'glimt-csv-')), 'filtered.csv');
    const cli = await runCli(
      ['export', '--site', 'example.com', '--from', day, '--to', day, '--interval', 'day'].concat([
        '--filter',
        'page:/pricing',
        '--filter',
        'browser:Chrome',
        '--out',
        out,
      ]),
      { GLIMT_DB: server.db },
    );
    expect(cli).toEqual({ code: 0, stderr: '' });
    expect(parseCsv(readFileSync(out, 'utf8'))).toEqual(rows);
  });

  it('glimt export --out FILE writes the same CSV as the API (hour by default)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'glimt-csv-')), 'export.csv');
    const result = await runCli(
      ['export', '--site', 'example.com', '--from', day, '--to', day, '--out', out],
      {
        GLIMT_DB: server.db,
      },
    );
    expect(result).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe(hourly);
    const byDay = `${out}.day.csv`;
    const dayResult = await runCli(
      ['export', '--site', 'example.com', '--from', day, '--to', day, '--interval', 'day', '--out', byDay],
      { GLIMT_DB: server.db },
    );
    expect(dayResult.code).toBe(0);
    expect(readFileSync(byDay, 'utf8')).toBe(daily);
  });
});
