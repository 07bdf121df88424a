/**
 * The dashboard in real Chromium, against the real `glimt serve`: events seeded from several
 * loopback addresses, a login through the form, the top numbers held against the stats API,
 * a breakdown row clicked into a filter, a site added through the form. The screenshot of
 * the dashboard goes to test/browser/artifacts/dashboard.png.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../collector/core/auth.ts';
import type { AggregateMetrics } from '../../collector/core/stats/metrics.ts';
import { formatCount, formatDecimal, formatDuration, formatRate } from '../../dashboard/src/format.ts';
import { closeAgents, postEvent } from '../support/post.ts';
import { ADMIN_TOKEN, getJson, type RunningServer, startServer } from '../support/server.ts';
import { ARTIFACTS_DIR, launchChromium, type Recording, record, USER_AGENT } from './support/chromium.ts';

const SITE = 'example.com';
const SHARE_TOKEN = 'glimt_share_browser-test-share-token-0123456789';
const today = () => new Date().toISOString().slice(0, 10);

let server: RunningServer;
let browser: BrowserContext;
let recording: Recording;

/**
 * Six visitors, each from its own /24: three from Google over two pages, two bounces from
 * Bing, one direct signup. And one bot.
 */
async function seed(): Promise<number> {
  let sent = 0;
  const send = async (i: number, body: Record<string, unknown>) => {
    const answer = await postEvent(
      server.url,
      { site: SITE, width: i % 2 === 0 ? 390 : 1440, ...body },
      { localAddress: `127.0.${10 + i}.1`, userAgent: USER_AGENT },
    );
    expect(answer.status).toBe(202);
    sent++;
  };
  for (let i = 0; i < 6; i++) {
    if (i < 3) {
      await send(i, { name: 'pageview', url: 'https://example.com/', referrer: 'https://www.google.com/' });
      await send(i, { name: 'pageview', url: 'https://example.com/pricing' });
    } else if (i < 5) {
      await send(i, {
        name: 'pageview',
        url: 'https://example.com/blog/hello',
        referrer: 'https://www.bing.com/',
      });
    } else {
      await send(i, { name: 'pageview', url: 'https://example.com/' });
      await send(i, { name: 'signup', url: 'https://example.com/' });
    }
  }
  // A headless browser: dropped as a bot, and said so in the drop summary.
  const bot = await postEvent(
    server.url,
    { site: SITE, name: 'pageview', url: 'https://example.com/' },
    { localAddress: '127.0.20.1', userAgent: USER_AGENT.replace('Chrome/', 'HeadlessChrome/') },
  );
  expect(bot.status).toBe(202);
  return sent;
}

const aggregate = (filter = '') =>
  getJson<AggregateMetrics>(
    server,
    `/api/stats/aggregate?site=${SITE}&from=${today()}&to=${today()}${filter}`,
  );

/** The top numbers as the page shows them, by metric. */
async function shownNumbers(): Promise<Record<string, string>> {
  const page = recording.page;
  await page.waitForSelector('[data-metric="visitors"] .value');
  return page.$$eval('[data-metric]', (cards) =>
    Object.fromEntries(
      cards.map((card) => [
        card.getAttribute('data-metric'),
        card.querySelector('.value')?.textContent ?? '',
      ]),
    ),
  );
}

function expected(totals: AggregateMetrics): Record<string, string> {
  return {
    visitors: formatCount(totals.visitors),
    visits: formatCount(totals.visits),
    pageviews: formatCount(totals.pageviews),
    views_per_visit: formatDecimal(totals.views_per_visit),
    bounce_rate: formatRate(totals.bounce_rate),
    visit_duration: formatDuration(totals.visit_duration),
  };
}

beforeAll(async () => {
  server = await startServer({ sites: [SITE, 'blog.example.org'] });
  await seed();
  browser = await launchChromium();
  recording = await record(browser);
  await recording.page.setViewportSize({ width: 1280, height: 900 });
});

afterAll(async () => {
  closeAgents();
  await recording?.save('dashboard-session');
  await browser?.close();
  await server?.stop();
});

describe('the dashboard', () => {
  it('asks for a token, sets no cookie before login, and says why a wrong token fails', async () => {
    const page = recording.page;
    await page.goto(`${server.url}/?site=${SITE}&period=today`);
    await page.waitForSelector('form.login');
    expect(await browser.cookies()).toEqual([]);
    await page.fill('#token', 'glimt_admin_wrong');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('form.login .notice.error');
    expect(await page.textContent('form.login .notice.error')).toMatch(/not an admin or share token/);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-login.png') });
    expect(await browser.cookies()).toEqual([]);
  });

  it('logs in through the form with one HttpOnly cookie and shows the numbers the API answers', async () => {
    const page = recording.page;
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('form.login button[type=submit]');
    const totals = await aggregate();
    expect(totals).toMatchObject({ visitors: 6, pageviews: 9 });
    const shown = await shownNumbers();
    expect(shown).toMatchObject(expected(totals));
    expect(shown.realtime).toMatch(/^\d+$/);
    const cookies = await browser.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: 'glimt_session',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
    });
    // HttpOnly: the page's own script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    // The URL holds the view: site and period.
    expect(new URL(page.url()).search).toBe(`?site=${SITE}&period=today`);
    // Panels filled, countries named, the drop summary there.
    await page.waitForSelector('section[data-panel="Sources"] button.row[data-value="Google"]');
    await page.waitForSelector('section[data-panel="Pages"] button.row[data-value="/pricing"]');
    await page.waitForSelector('section[data-panel="Events"] button.row[data-value="signup"]');
    expect(await page.textContent('footer.dropped')).toBe('Not counted, on purpose: 1 from bots.');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard.png'), fullPage: true });
  });

  it('filters by a clicked row: a chip, the URL, and the filtered numbers', async () => {
    const page = recording.page;
    await page.click('section[data-panel="Sources"] button.row[data-value="Google"]');
    await page.waitForSelector('li.chip[data-filter="source:Google"]');
    expect(await page.textContent('li.chip[data-filter="source:Google"]')).toMatch(/Source is Google/);
    expect(new URL(page.url()).searchParams.getAll('filter')).toEqual(['source:Google']);
    const filtered = await aggregate('&filter=source:Google');
    expect(filtered).toMatchObject({ visitors: 3, visits: 3, pageviews: 6 });
    await page.waitForFunction(
      (visitors) => document.querySelector('[data-metric="visitors"] .value')?.textContent === visitors,
      formatCount(filtered.visitors),
    );
    expect(await shownNumbers()).toMatchObject(expected(filtered));
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-filtered.png'), fullPage: true });
    // A second dimension narrows further (AND); its chip comes off on its own.
    await page.click('section[data-panel="Pages"] button.row[data-value="/pricing"]');
    await page.waitForSelector('li.chip[data-filter="page:/pricing"]');
    expect(await page.textContent('li.chip[data-filter="page:/pricing"]')).toMatch(/Page is \/pricing/);
    const both = await aggregate('&filter=source:Google&filter=page:/pricing');
    expect(both).toMatchObject({ visits: 3, pageviews: 3 });
    await page.waitForFunction(
      (pageviews) => document.querySelector('[data-metric="pageviews"] .value')?.textContent === pageviews,
      formatCount(both.pageviews),
    );
    expect(await shownNumbers()).toMatchObject(expected(both));
    await page.click('li.chip[data-filter="page:/pricing"] button.remove');
    await page.waitForFunction(() => document.querySelectorAll('li.chip').length === 1);
    // The export link carries the same view.
    const href = (await page.getAttribute('a.export', 'href')) ?? '';
    expect(new URL(href, server.url).searchParams.getAll('filter')).toEqual(['source:Google']);
    const csv = await page.evaluate((url) => fetch(url).then((r) => r.text()), href);
    expect(csv).toMatch(/^period,site,dimension/);
    // Removing the chip brings back every visit; Back goes to the filtered view again.
    await page.click('li.chip[data-filter="source:Google"] button.remove');
    await page.waitForSelector('p.filters.none');
    expect(await shownNumbers()).toMatchObject(expected(await aggregate()));
    await page.goBack();
    await page.waitForSelector('li.chip[data-filter="source:Google"]');
  });

  it('picks periods: last 7 days, then a custom range that starts from it', async () => {
    const page = recording.page;
    await page.selectOption('select.period', '7d');
    await page.waitForURL(/period=7d/);
    const from = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
    const week = await getJson<AggregateMetrics>(
      server,
      `/api/stats/aggregate?site=${SITE}&from=${from}&to=${today()}&filter=source:Google`,
    );
    await page.waitForSelector('[data-metric="visitors"] .value');
    expect(await shownNumbers()).toMatchObject(expected(week));
    await page.selectOption('select.period', 'custom');
    await page.waitForURL(/period=custom/);
    const url = new URL(page.url());
    expect([url.searchParams.get('from'), url.searchParams.get('to')]).toEqual([from, today()]);
    expect(await page.inputValue('input[aria-label="From"]')).toBe(from);
    expect(await page.inputValue('input[aria-label="To"]')).toBe(today());
  });

  it('adds a site through the form and shows the snippet to paste', async () => {
    const page = recording.page;
    await page.click('header.top button:has-text("Add site")');
    await page.waitForSelector('form.add-site');
    await page.fill('#domain', 'bad_domain!');
    await page.click('form.add-site button[type=submit]');
    await page.waitForSelector('form.add-site .notice.error');
    expect(await page.textContent('form.add-site .notice.error')).toMatch(/"domain".*"bad_domain!"/);
    await page.fill('#domain', 'New.Example.NET');
    await page.fill('#timezone', 'Europe/Oslo');
    await page.click('form.add-site button[type=submit]');
    await page.waitForSelector('.snippet code');
    expect(await page.textContent('.snippet code')).toBe(
      `<script defer src="${server.url}/t.js" data-site="new.example.net"></script>`,
    );
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-add-site.png'), fullPage: true });
    // Its dashboard opens, empty and saying so.
    await page.click('.snippet button:has-text("dashboard")');
    await page.waitForSelector('select.site-picker');
    expect(await page.$eval('select.site-picker', (s) => (s as HTMLSelectElement).value)).toBe(
      'new.example.net',
    );
    await page.waitForSelector('.timeseries .notice');
    expect(await page.textContent('.timeseries .notice')).toMatch(/No visits in this period yet/);
  });

  it('logs out: the cookie is gone and the login form is back', async () => {
    const page = recording.page;
    await page.click('header.top button:has-text("Log out")');
    await page.waitForSelector('form.login');
    expect(await browser.cookies()).toEqual([]);
  });

  it('a share token sees its one site, and no way to add sites', async () => {
    const db = new Database(server.db);
    const blog = db.prepare("SELECT id FROM site WHERE domain = 'blog.example.org'").pluck().get();
    db.prepare("INSERT INTO token (hash, kind, site_id, created_at) VALUES (?, 'share', ?, 0)").run(
      await sha256Hex(SHARE_TOKEN),
      blog,
    );
    db.close();
    const page = recording.page;
    await page.goto(`${server.url}/?site=${SITE}`);
    await page.fill('#token', SHARE_TOKEN);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('[data-metric="visitors"] .value');
    expect(await page.textContent('header.top .site-name')).toBe('blog.example.org');
    expect(new URL(page.url()).searchParams.get('site')).toBe('blog.example.org');
    expect(await page.$('header.top button:has-text("Add site")')).toBeNull();
    expect(recording.problems).toEqual([]);
  });
});
