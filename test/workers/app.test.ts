/**
 * The Worker end to end, in workerd: the production handlers (through test/workers/worker.ts)
 * with the local D1, Queue and consumer of wrangler.toml.
 */
import { createExecutionContext, createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../collector/core/auth.ts';
import { D1Store } from '../../collector/d1/d1-store.ts';
import { createWorker } from '../../collector/workers/serve.ts';
import { call } from './call.ts';
import { ADMIN_TOKEN } from './parity-stream.ts';
import worker, { consumed, logs, runAt } from './worker.ts';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

function post(body: unknown, headers: Record<string, string> = {}, cf: Record<string, string> = {}) {
  return call('/api/event', {
    method: 'POST',
    headers: {
      'content-type': 'text/plain',
      'user-agent': CHROME,
      'cf-connecting-ip': '195.159.103.82',
      ...headers,
    },
    body: JSON.stringify(body),
    cf,
  });
}

async function drained(messages: number) {
  const deadline = Date.now() + 30_000;
  while (consumed.messages < messages) {
    if (Date.now() > deadline) throw new Error(`queue not drained: ${consumed.messages}/${messages}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stats(path: string) {
  const response = await call(path, { headers: auth });
  expect(response.status).toBe(200);
  return response.json();
}

describe('the Worker', () => {
  it('serves health and the tracker script with caching headers', async () => {
    expect(await (await call('/health')).json()).toEqual({ ok: true });
    const script = await call('/t.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect(script.headers.get('cache-control')).toContain('max-age=');
    const etag = script.headers.get('etag') ?? '';
    expect(etag).toMatch(/^".+"$/);
    expect((await script.text()).length).toBeGreaterThan(0);
    const again = await call('/t.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('answers 500 naming a malformed setting, and warns about settings Workers ignore', async () => {
    const lines: string[] = [];
    const other = createWorker({ log: (line) => lines.push(line) });
    const bad = await other.fetch(
      new Request('https://glimt.example/health'),
      { DB: env.DB, QUEUE: env.QUEUE, GLIMT_SITES: 'example.com,not a domain!' },
      createExecutionContext(),
    );
    expect(bad.status).toBe(500);
    expect(await bad.json()).toEqual({ error: expect.stringContaining('GLIMT_SITES') });
    const ignored = await other.fetch(
      new Request('https://glimt.example/health'),
      {
        DB: env.DB,
        QUEUE: env.QUEUE,
        GLIMT_SITES: 'example.com',
        GLIMT_TRUST_PROXY: '1',
        GLIMT_SITE: 'typo.example',
      },
      createExecutionContext(),
    );
    expect(ignored.status).toBe(200);
    expect(lines.join('\n')).toContain('GLIMT_TRUST_PROXY has no effect on Workers');
    expect(lines.join('\n')).toContain('unknown setting GLIMT_SITE ');
  });

  it('adds GLIMT_SITES and stores only the hash of GLIMT_ADMIN_TOKEN on first use', async () => {
    const store = new D1Store(env.DB);
    expect((await store.listSites()).map((s) => s.domain)).toContain('example.com');
    expect(await store.findToken(await sha256Hex(ADMIN_TOKEN))).toEqual({ kind: 'admin', siteId: null });
    const tokens = await env.DB.prepare('SELECT hash FROM token').all<{ hash: string }>();
    expect(JSON.stringify(tokens.results)).not.toContain(ADMIN_TOKEN);
  });

  it('accepts an event (202, empty), queues it, and the consumer counts it', async () => {
    const before = consumed.messages;
    const response = await post(
      { site: 'example.com', name: 'pageview', url: 'https://example.com/pricing?utm_source=news&secret=1' },
      {},
      { country: 'NO' },
    );
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
    expect(response.headers.get('set-cookie')).toBeNull();
    await drained(before + 1);
    const today = new Date().toISOString().slice(0, 10);
    const q = `site=example.com&from=${today}&to=${today}`;
    expect(await stats(`/api/stats/aggregate?${q}`)).toMatchObject({
      visitors: 1,
      visits: 1,
      pageviews: 1,
      bounce_rate: 1,
    });
    expect(await stats(`/api/stats/breakdown?${q}&by=country`)).toMatchObject([{ value: 'NO', visitors: 1 }]);
    expect(await stats(`/api/stats/breakdown?${q}&by=utm_source`)).toMatchObject([{ value: 'news' }]);
    expect(await stats(`/api/stats/breakdown?${q}&by=page`)).toMatchObject([
      { value: '/pricing', pageviews: 1 },
    ]);
    expect(await stats('/api/stats/realtime?site=example.com')).toEqual({ visitors: 1 });
  });

  it('refuses what Node refuses, and queues nothing for it', async () => {
    const before = consumed.messages;
    expect(
      (await post({ site: 'unknown.example', name: 'pageview', url: 'https://unknown.example/' })).status,
    ).toBe(403);
    expect((await post({ site: 'example.com', name: 'pageview', url: 'https://evil.example/' })).status).toBe(
      403,
    );
    expect((await post({ site: 'example.com', url: 'https://example.com/' })).status).toBe(400);
    const big = await post({
      site: 'example.com',
      name: 'pageview',
      url: 'https://example.com/',
      props: { x: 'y'.repeat(20_000) },
    });
    expect(big.status).toBe(413);
    expect((await call('/api/stats/aggregate?site=example.com&from=2026-01-01&to=2026-01-01')).status).toBe(
      401,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(consumed.messages).toBe(before);
  });

  it('counts drops on purpose (bots, opt-out) through the queue', async () => {
    const before = consumed.messages;
    const bot = await post(
      { site: 'example.com', name: 'pageview', url: 'https://example.com/' },
      { 'user-agent': 'curl/8.5.0' },
    );
    const dnt = await post(
      { site: 'example.com', name: 'pageview', url: 'https://example.com/' },
      { dnt: '1' },
    );
    expect([bot.status, dnt.status]).toEqual([202, 202]);
    await drained(before + 2);
    const today = new Date().toISOString().slice(0, 10);
    expect(await stats(`/api/stats/dropped?site=example.com&from=${today}&to=${today}`)).toEqual([
      { reason: 'bot', events: 1 },
      { reason: 'dnt', events: 1 },
    ]);
  });

  it('destroys past salts, visitor states and old applied message ids in the scheduled job', async () => {
    const count = async (table: string) =>
      (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? 0;
    const today = Math.floor(Date.now() / 86_400_000);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM salt WHERE day = ?').bind(today).first('n')).toBe(
      1,
    );
    expect(await count('visitor')).toBeGreaterThan(0);
    expect(await count('applied_batch')).toBeGreaterThan(0);
    // Today's run keeps them all.
    await worker.scheduled(createScheduledController(), env, {} as never);
    expect(await count('salt')).toBe(1);
    expect(await count('applied_batch')).toBeGreaterThan(0);
    // Three days later, the job runs again:
    const later = Date.now() + 3 * 86_400_000;
    await runAt(later, () =>
      worker.scheduled(createScheduledController({ scheduledTime: later }), env, {} as never),
    );
    expect(await count('salt')).toBe(0);
    expect(await count('visitor')).toBe(0);
    expect(await count('applied_batch')).toBe(0);
    // Rollups are kept (retention is 25 months).
    expect(await count('rollup_day')).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain('195.159.103.82');
  });
});
