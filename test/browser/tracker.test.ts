/**
 * The tracker in real Chromium, against the real collector (`glimt serve`), one numbered
 * fixture page at a time (test/browser/fixtures/NN_case/index.html).
 *
 * Pages are served by a second server, at `NN-case.fixtures.localhost:PORT`, while the
 * collector listens at 127.0.0.1: another origin and another site, so that every event
 * crosses origins as it does in production. Each fixture is its own registered site, so
 * its numbers stand apart; the assertions read the collector's stats API wherever it has
 * the number, and the request bodies (captured in the browser) for the rest. Each
 * fixture's screenshot and log go to test/browser/artifacts/.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { getJson, type RunningServer, startServer } from '../support/server.ts';
import { launchChromium, type Recording, record, traces } from './support/chromium.ts';
import { FIXTURES, type FixtureServer, siteOf, startFixtureServer } from './support/fixture-server.ts';
import { pollUntil, sleep } from './support/poll.ts';

interface Totals {
  visitors: number;
  visits: number;
  pageviews: number;
  visit_duration: number;
}
interface PageRow {
  value: string;
  visitors: number;
  pageviews: number;
  time_on_page: number;
}
interface EventRow {
  value: string;
  visitors: number;
  events: number;
}

let fixtures: FixtureServer;
let collector: RunningServer;
let browser: BrowserContext;

const today = (): string => new Date().toISOString().slice(0, 10);
const query = (fixture: string): string => `site=${siteOf(fixture)}&from=${today()}&to=${today()}`;
const totals = (fixture: string) => getJson<Totals>(collector, `/api/stats/aggregate?${query(fixture)}`);
const pages = (fixture: string) =>
  getJson<PageRow[]>(collector, `/api/stats/breakdown?${query(fixture)}&by=page&limit=100`);
const events = (fixture: string) =>
  getJson<EventRow[]>(collector, `/api/stats/breakdown?${query(fixture)}&by=event&limit=100`);
const dropped = (fixture: string) => getJson<unknown[]>(collector, `/api/stats/dropped?${query(fixture)}`);
const byValue = <T extends { value: string }>(rows: T[], pick: (row: T) => number): Record<string, number> =>
  Object.fromEntries(rows.map((row) => [row.value, pick(row)]));

/** Opens a fixture in a new tab, records it, and keeps its artifact when the test ends. */
async function open(fixture: string, setup?: (page: Page) => Promise<void>): Promise<Recording> {
  const recording = await record(browser, setup);
  onTestFinished(async () => {
    await recording.save(fixture);
    await recording.page.close();
  });
  await recording.page.goto(fixtures.url(fixture));
  return recording;
}

/**
 * Headless Chromium keeps every tab visible (bringing another to the front changes
 * nothing), so this stands in for the visitor switching tabs: it is what the browser
 * does then, `document.hidden` flips and `visibilitychange` fires at the document.
 */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((hide) => {
    if (hide) {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    } else {
      Reflect.deleteProperty(document, 'hidden');
      Reflect.deleteProperty(document, 'visibilityState');
    }
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  }, hidden);
}

const names = (recording: Recording): string[] => recording.sent.map((event) => event.payload.name);

/** No exception, no console error or warning, no failed request. */
function expectClean(recording: Recording): void {
  expect(recording.problems).toEqual([]);
  expect(recording.network).toEqual([]);
}

beforeAll(async () => {
  fixtures = await startFixtureServer();
  collector = await startServer({ sites: FIXTURES.map(siteOf) });
  fixtures.collector = collector.url;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
  await fixtures?.close();
});

describe('GET /t.js', () => {
  it('serves the script with an ETag and Cache-Control, and 304 when it is unchanged', async () => {
    const response = await fetch(`${collector.url}/t.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const etag = response.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect((await response.text()).startsWith('(()=>{')).toBe(true);
    const again = await fetch(`${collector.url}/t.js`, { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
  });
});

describe('01_pageview: the one line a site owner pastes', () => {
  it('counts one pageview per load, sent as a cross-site text/plain beacon', async () => {
    const fixture = '01_pageview';
    const recording = await open(fixture);
    const { page, sent } = recording;
    const counted = await pollUntil(
      () => totals(fixture),
      (t) => t.pageviews >= 1,
    );
    await sleep(300);
    expect(await totals(fixture)).toMatchObject({ pageviews: 1, visitors: 1, visits: 1 });
    expect(counted.pageviews).toBe(1);
    expect(byValue(await pages(fixture), (row) => row.pageviews)).toEqual({ '/': 1 });
    expect(await dropped(fixture)).toEqual([]);

    expect(sent).toHaveLength(1);
    const [event] = sent;
    expect(event?.payload).toEqual({
      site: siteOf(fixture),
      name: 'pageview',
      url: fixtures.url(fixture),
      referrer: '',
      width: await page.evaluate(() => innerWidth),
    });
    expect(event?.type).toBe('ping');
    expect(await event?.headers).toMatchObject({
      'content-type': 'text/plain;charset=UTF-8',
      origin: new URL(fixtures.url(fixture)).origin,
      'sec-fetch-site': 'cross-site',
    });
    expectClean(recording);
    expect(await traces(page)).toEqual({
      cookie: '',
      localStorage: 0,
      sessionStorage: 0,
      indexedDB: 0,
      caches: 0,
    });
  });
});

describe('02_spa: history navigation', () => {
  it('counts three pushState navigations and one back as 5 pageviews, and never the same URL twice', async () => {
    const fixture = '02_spa';
    const recording = await open(fixture);
    const { page } = recording;
    await pollUntil(
      () => totals(fixture),
      (t) => t.pageviews >= 1,
    );
    for (const link of ['A', 'B', 'C']) await page.getByRole('link', { name: link }).click();
    await page.evaluate(() => history.back());
    await page.waitForURL(/\/b$/);
    // None of these is a new page: the same URL again, and fragments without data-hash.
    await page.evaluate(() => {
      history.replaceState({}, '', location.href);
      history.pushState({}, '', location.pathname);
      history.pushState({}, '', '#details');
      location.hash = 'more';
    });

    await pollUntil(
      () => totals(fixture),
      (t) => t.pageviews >= 5,
    );
    await sleep(500);
    expect((await totals(fixture)).pageviews).toBe(5);
    expect(byValue(await pages(fixture), (row) => row.pageviews)).toEqual({
      '/': 1,
      '/a': 1,
      '/b': 2,
      '/c': 1,
    });

    // Before each new pageview, the page being left gets its engagement.
    const flow = recording.sent.map(({ payload }) => `${payload.name} ${new URL(payload.url).pathname}`);
    expect(flow).toEqual([
      'pageview /',
      'engagement /',
      'pageview /a',
      'engagement /a',
      'pageview /b',
      'engagement /b',
      'pageview /c',
      'engagement /c',
      'pageview /b',
    ]);
    expectClean(recording);
  });
});

describe('03_hash: hash routes with data-hash', () => {
  it('counts each hash route as a page', async () => {
    const fixture = '03_hash';
    const recording = await open(fixture);
    const { page } = recording;
    await page.getByRole('link', { name: 'Pricing' }).click();
    await page.getByRole('link', { name: 'About' }).click();
    await page.getByRole('link', { name: 'About' }).click();

    await pollUntil(
      () => totals(fixture),
      (t) => t.pageviews >= 3,
    );
    await sleep(300);
    expect((await totals(fixture)).pageviews).toBe(3);
    const urls = recording.sent
      .filter((e) => e.payload.name === 'pageview')
      .map((e) => new URL(e.payload.url).hash);
    expect(urls).toEqual(['', '#/pricing', '#/about']);
    // The collector keeps a `#/` route as part of the page.
    const pageRows = await pages(fixture);
    expect(pageRows.map((row) => row.value).sort()).toEqual(['/', '/#/about', '/#/pricing']);
    expectClean(recording);
  });
});

describe('04_engagement: visible time', () => {
  it('sends the visible time when the page is hidden and when it is left, not the hidden time', async () => {
    const fixture = '04_engagement';
    const recording = await open(fixture);
    const { page } = recording;
    const shownAt = Date.now();
    await pollUntil(
      () => totals(fixture),
      (t) => t.pageviews >= 1,
    );
    await sleep(2000 - (Date.now() - shownAt));
    const firstMs = Date.now() - shownAt;
    await setHidden(page, true);
    await sleep(1000);
    await setHidden(page, false);
    const shownAgainAt = Date.now();
    await sleep(1000);
    const secondMs = Date.now() - shownAgainAt;
    await page.goto(fixtures.outside); // a real pagehide (then visibilitychange): the page is left

    // The first stretch, as the page sent it (an integer; the hidden second is not in it).
    const [first, ...others] = recording.sent.filter((e) => e.payload.name === 'engagement');
    expect(others).toEqual([]);
    expect(Number.isInteger(first?.payload.engaged_ms)).toBe(true);
    expect(first?.payload.engaged_ms).toBeGreaterThan(firstMs * 0.8);
    expect(first?.payload.engaged_ms).toBeLessThan(firstMs * 1.2);

    // The second stretch went on pagehide, which Playwright cannot see: the collector's
    // numbers hold both, as the page's mean engaged time and as the visit's duration.
    const expected = (firstMs + secondMs) / 1000;
    const rows = await pollUntil(
      () => pages(fixture),
      (r) => (r[0]?.time_on_page ?? 0) >= expected * 0.8,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.time_on_page).toBeGreaterThan(expected * 0.8);
    expect(rows[0]?.time_on_page).toBeLessThan(expected * 1.2);
    const visit = await totals(fixture);
    expect(visit.visit_duration).toBeGreaterThan(expected * 0.8);
    expect(visit.visit_duration).toBeLessThan(expected * 1.2);
    expect(await dropped(fixture)).toEqual([]);
    expectClean(recording);
  });
});

describe('05_events: custom events, tagged elements, downloads, outbound links', () => {
  it('counts each in the event breakdown, with its props', async () => {
    const fixture = '05_events';
    const recording = await open(fixture);
    const { page } = recording;
    await pollUntil(
      () => events(fixture),
      (rows) => rows.length >= 1,
    );

    await page.click('#cta'); // the button's child: its data-glimt-event is found up the tree
    await page.click('#pdf');
    await page.click('#zip');
    await page.click('#internal'); // a link, but neither a file nor outbound
    // Clicks that scripts dispatch where there is no element: ignored, without an exception.
    await page.evaluate(() => {
      document.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      window.dispatchEvent(new MouseEvent('auxclick', { button: 1 }));
    });
    // A middle click opens a tab (auxclick); a right click opens a menu and counts nothing.
    const opened = browser.waitForEvent('page');
    await page.click('#outbound', { button: 'middle' });
    await (await opened).close();
    await page.click('#outbound', { button: 'right' });
    // Last, the left click that leaves: the beacon outlives the page.
    await page.click('#outbound');
    await page.waitForURL(`${fixtures.outside}/landing`);

    const expected = { Signup: 1, 'CTA: Click': 1, 'File Download': 2, 'Outbound Link: Click': 2 };
    const rows = await pollUntil(
      () => events(fixture),
      (r) => r.reduce((sum, row) => sum + row.events, 0) >= 6,
    );
    await sleep(300);
    expect(byValue(await events(fixture), (row) => row.events)).toEqual(expected);
    expect(rows.every((row) => row.visitors === 1)).toBe(true);
    expect((await totals(fixture)).pageviews).toBe(1);

    const props = recording.sent
      .filter((e) => e.payload.name !== 'pageview' && e.payload.name !== 'engagement')
      .map((e) => [e.payload.name, e.payload.props]);
    expect(props).toEqual([
      ['Signup', { plan: 'pro', seats: 3, trial: true }],
      ['CTA: Click', undefined],
      ['File Download', { url: fixtures.url(fixture, '/files/report.pdf') }],
      ['File Download', { url: fixtures.url(fixture, '/files/archive.ZIP?v=2') }],
      ['Outbound Link: Click', { url: `${fixtures.outside}/landing` }],
      ['Outbound Link: Click', { url: `${fixtures.outside}/landing` }],
    ]);
    expectClean(recording);
  });
});

describe('06_gpc: Global Privacy Control', () => {
  it('sends nothing at all when navigator.globalPrivacyControl is true', async () => {
    const fixture = '06_gpc';
    const recording = await open(fixture, async (page) => {
      // Chromium has no GPC setting of its own; browsers that do (Firefox, Brave) expose
      // this property and send the header on every request.
      await page.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {
          configurable: true,
          get: () => true,
        });
      });
      await page.setExtraHTTPHeaders({ 'Sec-GPC': '1' });
    });
    const { page } = recording;
    expect(await page.evaluate(() => 'globalPrivacyControl' in navigator)).toBe(true);
    await page.waitForFunction(() => typeof window.glimt === 'function' && !window.glimt.q);
    await page.evaluate(() => {
      window.glimt?.('Clicked', { props: { a: 1 } });
      history.pushState({}, '', '/next');
    });
    const opened = browser.waitForEvent('page');
    await page.click('#outbound');
    await (await opened).close();
    await setHidden(page, true);
    await sleep(1000);

    expect(recording.sent).toEqual([]);
    expect((await totals(fixture)).pageviews).toBe(0);
    expect(await events(fixture)).toEqual([]);
    expect(await dropped(fixture)).toEqual([]); // nothing even reached the collector
    expectClean(recording);
  });
});

describe('07_local_off: localhost without data-local', () => {
  it('sends nothing from a developer machine', async () => {
    const fixture = '07_local_off';
    const recording = await open(fixture);
    const { page } = recording;
    await page.waitForFunction(() => typeof window.glimt === 'function');
    await page.evaluate(() => {
      window.glimt?.('Clicked');
      history.pushState({}, '', '/next');
    });
    await setHidden(page, true);
    await sleep(1000);
    expect(recording.sent).toEqual([]);
    expect((await totals(fixture)).pageviews).toBe(0);
    expectClean(recording);
  });
});

describe('08_collector_down', () => {
  it('throws nothing and logs nothing when every event fails', async () => {
    const fixture = '08_collector_down';
    const recording = await open(fixture);
    const { page } = recording;
    await page.waitForFunction(() => typeof window.glimt === 'function' && !window.glimt.q);
    await page.evaluate(() => {
      window.glimt?.('Clicked', { props: { a: 1 } });
      history.pushState({}, '', '/next');
    });
    const opened = browser.waitForEvent('page');
    await page.click('#outbound');
    await (await opened).close();
    await sleep(500);
    await setHidden(page, true);
    await setHidden(page, false);
    await sleep(200);
    await page.goto(fixtures.outside);
    await sleep(500);

    // It did try: pageview, the queued event, engagement, the SPA pageview, the custom
    // event, the outbound click, and engagement again on hide and on leaving.
    expect(names(recording)).toEqual(
      expect.arrayContaining(['pageview', 'Queued', 'Clicked', 'Outbound Link: Click', 'engagement']),
    );
    // data-api is honoured: everything went to the (dead) URL it names.
    expect(new Set(recording.sent.map((event) => event.url))).toEqual(new Set([fixtures.deadApi]));
    expect(recording.problems).toEqual([]);
    // Only Chromium's own line for each refused request, about the collector's URL.
    expect(recording.network.length).toBeGreaterThan(0);
    for (const line of recording.network)
      expect(line).toMatch(/\/api\/event: Failed to load resource: net::/);
  });
});

describe('09_esm: the bundler entry, glimt/tracker', () => {
  it('queues track() before load() and sends it once the script runs', async () => {
    const fixture = '09_esm';
    const recording = await open(fixture);
    const { page } = recording;
    await pollUntil(
      () => events(fixture),
      (rows) => rows.length >= 1,
    );
    await page.click('#buy');
    const rows = await pollUntil(
      () => events(fixture),
      (r) => r.length >= 2,
    );
    expect(byValue(rows, (row) => row.events)).toEqual({ 'ESM Queued': 1, 'ESM Click': 1 });
    expect((await totals(fixture)).pageviews).toBe(1);
    expect(recording.sent.find((e) => e.payload.name === 'ESM Queued')?.payload.props).toEqual({
      from: 'bundle',
    });
    expectClean(recording);
  });
});

describe('privacy: nothing left behind', () => {
  it('has no cookie for any origin, and no storage on any fixture site', async () => {
    expect(await browser.cookies()).toEqual([]);
    for (const fixture of FIXTURES) {
      const page = await browser.newPage();
      // The fixture's origin, on a page without the tracker: looking counts nothing.
      await page.goto(fixtures.url(fixture, '/blank'));
      expect({ fixture, ...(await traces(page)) }).toEqual({
        fixture,
        cookie: '',
        localStorage: 0,
        sessionStorage: 0,
        indexedDB: 0,
        caches: 0,
      });
      await page.close();
    }
  });
});
