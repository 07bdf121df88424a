/**
 * Bad input against the real `glimt serve` (CONTRACT.md, "Ingest" and "Stats API"):
 * every refusal has the contract's status and a message naming its cause; the valid
 * boundary cases are accepted; and afterwards the stats count exactly what was accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAgents, postEvent } from '../support/post.ts';
import { ADMIN_TOKEN, getJson, type RunningServer, startServer } from '../support/server.ts';

const SITE = 'example.com';
const URL_OK = 'https://example.com/page';
const today = () => new Date().toISOString().slice(0, 10);

const pv = (extra: Record<string, unknown> = {}) => ({ site: SITE, name: 'pageview', url: URL_OK, ...extra });
const without = (key: string) => {
  const body: Record<string, unknown> = pv();
  delete body[key];
  return body;
};
const manyProps = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
/** A valid pageview whose JSON is exactly `bytes` long (an unknown field pads it). */
function pageviewOfBytes(bytes: number): string {
  const base = JSON.stringify(pv({ pad: '' }));
  return JSON.stringify(pv({ pad: 'x'.repeat(bytes - base.length) }));
}

interface BadCase {
  name: string;
  body: unknown;
  status: number;
  error: RegExp;
}

const BAD_EVENTS: BadCase[] = [
  { name: 'invalid JSON', body: '{"site": "example.com",', status: 400, error: /JSON/ },
  { name: 'empty body', body: '', status: 400, error: /JSON/ },
  { name: 'array body', body: [pv()], status: 400, error: /JSON object/ },
  { name: 'null body', body: 'null', status: 400, error: /JSON object/ },
  { name: 'missing site', body: without('site'), status: 400, error: /"site"/ },
  { name: 'site not a string', body: pv({ site: 42 }), status: 400, error: /"site"/ },
  { name: 'missing name', body: without('name'), status: 400, error: /"name"/ },
  { name: 'empty name', body: pv({ name: '' }), status: 400, error: /"name"/ },
  { name: 'missing url', body: without('url'), status: 400, error: /"url"/ },
  { name: 'relative url', body: pv({ url: '/pricing' }), status: 400, error: /"url".*absolute/ },
  { name: 'javascript: url', body: pv({ url: 'javascript:alert(1)' }), status: 400, error: /"url"/ },
  { name: 'ftp url', body: pv({ url: 'ftp://example.com/x' }), status: 400, error: /"url"/ },
  {
    name: 'url of another host',
    body: pv({ url: 'https://evil.example.net/x' }),
    status: 403,
    error: /"url".*evil\.example\.net/,
  },
  {
    name: 'url of a look-alike host',
    body: pv({ url: 'https://notexample.com/x' }),
    status: 403,
    error: /"url".*notexample\.com/,
  },
  {
    name: 'url of a host that ends in the site',
    body: pv({ url: 'https://example.com.evil.net/x' }),
    status: 403,
    error: /"url"/,
  },
  {
    name: 'unknown site',
    body: pv({ site: 'unknown.example.org' }),
    status: 403,
    error: /"site".*registered/,
  },
  { name: 'name of 121 chars', body: pv({ name: 'n'.repeat(121) }), status: 400, error: /"name".*120/ },
  {
    name: 'engagement without engaged_ms',
    body: pv({ name: 'engagement' }),
    status: 400,
    error: /"engaged_ms".*required/,
  },
  {
    name: 'engaged_ms negative',
    body: pv({ name: 'engagement', engaged_ms: -1 }),
    status: 400,
    error: /"engaged_ms"/,
  },
  {
    name: 'engaged_ms over a day',
    body: pv({ name: 'engagement', engaged_ms: 86_400_001 }),
    status: 400,
    error: /"engaged_ms"/,
  },
  {
    name: 'engaged_ms not an integer',
    body: pv({ name: 'engagement', engaged_ms: 1.5 }),
    status: 400,
    error: /"engaged_ms".*integer/,
  },
  {
    name: 'engaged_ms a string',
    body: pv({ name: 'engagement', engaged_ms: '1000' }),
    status: 400,
    error: /"engaged_ms"/,
  },
  { name: 'width negative', body: pv({ width: -1 }), status: 400, error: /"width"/ },
  { name: 'width a string', body: pv({ width: '1024' }), status: 400, error: /"width"/ },
  { name: 'width not an integer', body: pv({ width: 1024.5 }), status: 400, error: /"width"/ },
  { name: 'props a string', body: pv({ props: 'a=b' }), status: 400, error: /"props".*object/ },
  { name: 'props an array', body: pv({ props: ['a'] }), status: 400, error: /"props".*object/ },
  { name: 'props with 31 keys', body: pv({ props: manyProps(31) }), status: 400, error: /"props".*30 keys/ },
  {
    name: 'prop key of 301 chars',
    body: pv({ props: { ['k'.repeat(301)]: 1 } }),
    status: 400,
    error: /"props" key.*300/,
  },
  {
    name: 'prop value of 2001 chars',
    body: pv({ props: { plan: 'v'.repeat(2001) } }),
    status: 400,
    error: /"props\.plan".*2000/,
  },
  {
    name: 'prop value an object',
    body: pv({ props: { plan: { a: 1 } } }),
    status: 400,
    error: /"props\.plan"/,
  },
  { name: 'prop value null', body: pv({ props: { plan: null } }), status: 400, error: /"props\.plan"/ },
  { name: 'referrer not a string', body: pv({ referrer: 5 }), status: 400, error: /"referrer"/ },
  { name: 'body over 16 KiB', body: pageviewOfBytes(16 * 1024 + 1), status: 413, error: /16384 bytes/ },
];

interface GoodCase {
  name: string;
  body: unknown;
  contentType?: string;
  counts: 'pageview' | 'event' | 'none';
}

const GOOD_EVENTS: GoodCase[] = [
  // First, so that the engagements below have a visit to join.
  { name: 'plain pageview (text/plain)', body: pv(), counts: 'pageview' },
  { name: 'name of exactly 120 chars', body: pv({ name: 'n'.repeat(120) }), counts: 'event' },
  { name: '30 prop keys', body: pv({ props: manyProps(30) }), counts: 'pageview' },
  {
    name: 'prop key of 300 chars, value of 2000 chars, number and boolean values',
    body: pv({ name: 'signup', props: { ['k'.repeat(300)]: 'v'.repeat(2000), n: 1.5, b: false } }),
    counts: 'event',
  },
  { name: 'engaged_ms 0', body: pv({ name: 'engagement', engaged_ms: 0 }), counts: 'none' },
  { name: 'engaged_ms 86400000', body: pv({ name: 'engagement', engaged_ms: 86_400_000 }), counts: 'none' },
  { name: 'application/json', body: pv(), contentType: 'application/json', counts: 'pageview' },
  { name: 'a url on a subdomain', body: pv({ url: 'https://www.example.com/x' }), counts: 'pageview' },
  { name: 'a url with a port', body: pv({ url: 'https://example.com:8443/x' }), counts: 'pageview' },
  {
    name: 'upper-case site and host',
    body: pv({ site: 'Example.COM', url: 'HTTPS://EXAMPLE.COM/Y' }),
    counts: 'pageview',
  },
  {
    name: 'width 0, a referrer, null props',
    body: pv({ width: 0, referrer: 'https://t.co/x', props: null }),
    counts: 'pageview',
  },
  { name: 'body of exactly 16 KiB', body: pageviewOfBytes(16 * 1024), counts: 'pageview' },
];

describe('bad input', () => {
  let server: RunningServer;
  const refused: { name: string; status: number; body: string; contentType: string }[] = [];
  const accepted: { name: string; status: number; body: string }[] = [];

  beforeAll(async () => {
    server = await startServer();
    const refuse = async (bad: BadCase) => {
      const refusal = await postEvent(server.url, bad.body);
      refused.push({
        name: bad.name,
        status: refusal.status,
        body: refusal.body,
        contentType: String(refusal.headers['content-type']),
      });
    };
    // Interleaved, so that a refusal that corrupted state would show in the counts.
    for (const [i, good] of GOOD_EVENTS.entries()) {
      const response = await postEvent(
        server.url,
        good.body,
        good.contentType ? { headers: { 'content-type': good.contentType } } : {},
      );
      accepted.push({ name: good.name, status: response.status, body: response.body });
      for (const bad of BAD_EVENTS.slice(i * 3, i * 3 + 3)) await refuse(bad);
    }
    for (const bad of BAD_EVENTS.slice(GOOD_EVENTS.length * 3)) await refuse(bad);
  });

  afterAll(async () => {
    closeAgents();
    await server?.stop();
  });

  it.each(BAD_EVENTS)('refuses $name with $status and a message naming it', (bad) => {
    const answer = refused.find((r) => r.name === bad.name);
    expect(answer, 'sent').toBeDefined();
    expect(answer?.status).toBe(bad.status);
    expect(answer?.contentType).toMatch(/application\/json/);
    const error = (JSON.parse(answer?.body ?? '') as { error: string }).error;
    expect(error).toMatch(bad.error);
  });

  it('refuses a chunked body over 16 KiB (no Content-Length) with 413', async () => {
    const payload = new TextEncoder().encode(pageviewOfBytes(20_000));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < payload.length; at += 4096) controller.enqueue(payload.slice(at, at + 4096));
        controller.close();
      },
    });
    const response = await fetch(`${server.url}/api/event`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 Chrome/131.0.0.0' },
      body,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    expect(response.status).toBe(413);
    expect(await response.text()).toMatch(/16384 bytes/);
  });

  it.each(GOOD_EVENTS)('accepts $name with an empty 202', (good) => {
    const answer = accepted.find((r) => r.name === good.name);
    expect(answer).toEqual({ name: good.name, status: 202, body: '' });
  });

  it('counts exactly the accepted events: bad input loses nothing and adds nothing', async () => {
    const range = `site=${SITE}&from=${today()}&to=${today()}`;
    const stats = await getJson<{ pageviews: number; visitors: number }>(
      server,
      `/api/stats/aggregate?${range}`,
    );
    expect(stats.pageviews).toBe(GOOD_EVENTS.filter((g) => g.counts === 'pageview').length);
    expect(stats.visitors).toBe(1);
    const events = await getJson<{ value: string; events: number }[]>(
      server,
      `/api/stats/breakdown?${range}&by=event&limit=1000`,
    );
    expect(events.reduce((sum, row) => sum + row.events, 0)).toBe(
      GOOD_EVENTS.filter((g) => g.counts === 'event').length,
    );
    const pages = await getJson<{ value: string; pageviews: number }[]>(
      server,
      `/api/stats/breakdown?${range}&by=page&limit=1000`,
    );
    // The port and the subdomain are not part of the path; paths are stored as sent, minus the query.
    expect(Object.fromEntries(pages.map((row) => [row.value, row.pageviews]))).toEqual({
      '/page': 5,
      '/x': 2,
      '/Y': 1,
    });
  });

  describe('stats API', () => {
    const day = today();
    const STATS_CASES: {
      name: string;
      path: string;
      token?: string | null;
      status: number;
      error: RegExp;
    }[] = [
      {
        name: 'no token',
        path: `/api/stats/aggregate?site=${SITE}&from=${day}&to=${day}`,
        token: null,
        status: 401,
        error: /Authorization/,
      },
      {
        name: 'a wrong token',
        path: `/api/stats/aggregate?site=${SITE}&from=${day}&to=${day}`,
        token: 'wrong-token-0123456789abcdef',
        status: 401,
        error: /Authorization/,
      },
      {
        name: 'no token on the export',
        path: `/api/export?site=${SITE}&from=${day}&to=${day}`,
        token: null,
        status: 401,
        error: /Authorization/,
      },
      {
        name: 'an unknown site',
        path: `/api/stats/aggregate?site=unknown.example.org&from=${day}&to=${day}`,
        status: 404,
        error: /"site".*unknown\.example\.org/,
      },
      { name: 'no site', path: `/api/stats/aggregate?from=${day}&to=${day}`, status: 400, error: /"site"/ },
      {
        name: 'a bad by',
        path: `/api/stats/breakdown?site=${SITE}&from=${day}&to=${day}&by=planet`,
        status: 400,
        error: /"by".*planet/,
      },
      {
        name: 'no by',
        path: `/api/stats/breakdown?site=${SITE}&from=${day}&to=${day}`,
        status: 400,
        error: /"by"/,
      },
      {
        name: 'limit=0',
        path: `/api/stats/breakdown?site=${SITE}&from=${day}&to=${day}&by=page&limit=0`,
        status: 400,
        error: /"limit"/,
      },
      {
        name: 'limit=1001',
        path: `/api/stats/breakdown?site=${SITE}&from=${day}&to=${day}&by=page&limit=1001`,
        status: 400,
        error: /"limit"/,
      },
      {
        name: 'a bad from',
        path: `/api/stats/aggregate?site=${SITE}&from=yesterday&to=${day}`,
        status: 400,
        error: /"from"/,
      },
      {
        // A valid "from" with an impossible "to" date: the message must blame "to".
        name: 'a bad to',
        path: `/api/stats/aggregate?site=${SITE}&from=2026-02-01&to=2026-02-30`,
        status: 400,
        error: /"to"/,
      },
      {
        name: 'an impossible from date',
        path: `/api/stats/aggregate?site=${SITE}&from=2026-02-30&to=2026-03-01`,
        status: 400,
        error: /"from"/,
      },
      { name: 'no from', path: `/api/stats/aggregate?site=${SITE}&to=${day}`, status: 400, error: /"from"/ },
      {
        name: 'to before from',
        path: `/api/stats/aggregate?site=${SITE}&from=2026-03-02&to=2026-03-01`,
        status: 400,
        error: /"to".*before.*"from"/,
      },
      {
        name: 'an ISO to not after from',
        path: `/api/stats/aggregate?site=${SITE}&from=2026-03-02T10:00:00Z&to=2026-03-02T10:00:00Z`,
        status: 400,
        error: /"to".*after.*"from"/,
      },
      {
        name: 'more than 20 filters',
        path: `/api/stats/aggregate?site=${SITE}&from=${day}&to=${day}&${Array.from({ length: 21 }, (_, i) => `filter=page:/${i}`).join('&')}`,
        status: 400,
        error: /"filter": at most 20/,
      },
      {
        name: 'a filter without a value separator',
        path: `/api/stats/aggregate?site=${SITE}&from=${day}&to=${day}&filter=page`,
        status: 400,
        error: /"filter"/,
      },
      {
        name: 'a filter on the drop log, which has no dimensions',
        path: `/api/stats/dropped?site=${SITE}&from=${day}&to=${day}&filter=page:/a`,
        status: 400,
        error: /"filter".*dropped/,
      },
      {
        name: 'a filter on realtime',
        path: `/api/stats/realtime?site=${SITE}&filter=page:/a`,
        status: 400,
        error: /"filter".*realtime/,
      },
      {
        name: 'a filter on an unknown dimension',
        path: `/api/stats/aggregate?site=${SITE}&from=${day}&to=${day}&filter=planet:mars`,
        status: 400,
        error: /"filter".*planet/,
      },
      {
        name: 'a bad timeseries interval',
        path: `/api/stats/timeseries?site=${SITE}&from=${day}&to=${day}&interval=week`,
        status: 400,
        error: /"interval"/,
      },
      {
        name: 'a bad export interval',
        path: `/api/export?site=${SITE}&from=${day}&to=${day}&interval=month`,
        status: 400,
        error: /"interval"/,
      },
    ];

    it.each(STATS_CASES)('answers $name with $status naming the cause', async (c) => {
      const token = c.token === undefined ? ADMIN_TOKEN : c.token;
      const response = await fetch(
        server.url + c.path,
        token ? { headers: { authorization: `Bearer ${token}` } } : {},
      );
      expect(response.status).toBe(c.status);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await response.json()) as { error: string }).error).toMatch(c.error);
    });
  });
});
