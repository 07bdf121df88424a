import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../sqlite/sqlite-store.ts';
import { SiteRegistry } from '../sites.ts';
import { noCountry } from './lookup-country.ts';
import { type IngestRequest, type PipelineDeps, runPipeline } from './pipeline.ts';
import { Salts } from './salts.ts';

const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

let store: SqliteStore;
let deps: PipelineDeps;

beforeEach(async () => {
  // A real SQLite store, in memory: the pipeline only reads sites and salts from it.
  store = openSqliteStore(':memory:');
  await store.addSite('example.com', {});
  await store.addSite('quiet.example', { honourOptOut: false });
  const sites = new SiteRegistry(store);
  await sites.reload();
  deps = {
    sites,
    salts: new Salts(store),
    keyedHash: (key, message) => createHmac('sha256', key).update(message).digest('hex'),
    geo: noCountry,
    trust: { kind: 'none' },
    clock: () => Date.UTC(2026, 10, 25, 14, 30),
  };
});
afterEach(() => store.close());

function request(body: object, headers: Record<string, string> = {}): IngestRequest {
  const all: Record<string, string> = { 'user-agent': CHROME, ...headers };
  return {
    body: JSON.stringify({ site: 'example.com', name: 'pageview', url: 'https://example.com/a', ...body }),
    header: (name) => all[name],
    peer: '::ffff:195.159.103.82',
    request: new Request('http://collector/api/event'),
  };
}

describe('runPipeline', () => {
  it('turns a pageview into a collected event with no address in it', async () => {
    const event = await runPipeline(request({ referrer: 'https://duckduckgo.com/', width: 390 }), deps);
    expect(event).toMatchObject({
      kind: 'pageview',
      page: '/a',
      bucket: Date.UTC(2026, 10, 25, 14) / 1000,
      visit: { source: 'DuckDuckGo', browser: 'Chrome', os: 'macOS', device: 'Mobile', country: '(none)' },
    });
    expect(JSON.stringify(event)).not.toMatch(/195\.159|Mozilla/);
  });

  it('refuses an unknown site and a foreign URL with 403', async () => {
    expect(await runPipeline(request({ site: 'other.org' }), deps)).toMatchObject({ reject: 403 });
    expect(await runPipeline(request({ url: 'https://evil.org/' }), deps)).toMatchObject({ reject: 403 });
  });

  it.each([
    ['bot', { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }],
    ['bot', { 'user-agent': CHROME.replace('Chrome/', 'HeadlessChrome/') }],
    ['prefetch', { 'sec-purpose': 'prefetch' }],
    ['gpc', { 'sec-gpc': '1' }],
    ['dnt', { dnt: '1' }],
  ])('drops with reason %s', async (reason, headers) => {
    expect(await runPipeline(request({}, headers), deps)).toMatchObject({ drop: reason });
  });

  it('keeps opt-out events of a site that switched the signals off', async () => {
    const event = await runPipeline(
      request({ site: 'quiet.example', url: 'https://quiet.example/' }, { dnt: '1' }),
      deps,
    );
    expect(event).toHaveProperty('visitor');
  });

  it('gives two addresses of one /24 with one UA the same visitor, and another /24 another', async () => {
    const at = (peer: string) => runPipeline({ ...request({}), peer }, deps);
    const [a, b, c] = await Promise.all([at('127.45.67.89'), at('127.45.67.200'), at('127.45.68.89')]);
    expect((a as { visitor: string }).visitor).toBe((b as { visitor: string }).visitor);
    expect((a as { visitor: string }).visitor).not.toBe((c as { visitor: string }).visitor);
  });
});
