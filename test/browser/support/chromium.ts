/**
 * @module Real Chromium (Debian's /usr/bin/chromium) through playwright-core, and a
 * recorder for one fixture page: the events it sends, its console, its errors, and an
 * artifact (screenshot + log) kept in test/browser/artifacts/ for CI.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { EventPayload } from '../../../collector/core/protocol.ts';

export const ARTIFACTS_DIR = new URL('../artifacts/', import.meta.url).pathname;

/**
 * A normal desktop Chrome: the collector drops `HeadlessChrome` as a bot, as it should.
 * The version is the installed Chromium's, so that the two never disagree.
 */
export const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** A fresh profile each run, removed when the browser closes. */
export async function launchChromium(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'glimt-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    userAgent: USER_AGENT,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Also browser-wide: a beacon sent by a page being left goes out after the page's own
      // override is gone, and would say HeadlessChrome (and be dropped as a bot) without it.
      `--user-agent=${USER_AGENT}`,
    ],
  });
  // Chromium may still be writing its profile as the context closes: retry, and never let a
  // leftover temporary folder fail a test.
  context.on('close', () => {
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {}
  });
  return context;
}

/** One request to the ingest endpoint, as the page sent it. */
export interface SentEvent {
  url: string;
  payload: EventPayload;
  /** Playwright's resource type: `ping` for a beacon, `fetch` for fetch. */
  type: string;
  /** All of them, Origin and Sec-Fetch-Site included (Playwright reads those late). */
  headers: Promise<Record<string, string>>;
}

export interface Recording {
  page: Page;
  /**
   * What the page sent while it was open. Playwright does not see a beacon sent by a page
   * that is being left (on pagehide), though the collector gets it: for those, read the
   * collector's numbers.
   */
  sent: SentEvent[];
  /** Uncaught exceptions, and console errors and warnings other than `network`. */
  problems: string[];
  /**
   * Chromium's own "Failed to load resource" console line for a request that failed. No
   * script can prevent it (it is the network panel speaking, not a console call), so it
   * is kept apart from `problems`.
   */
  network: string[];
  /** Everything, in order, for the artifact log. */
  log: string[];
  /** Screenshot + log into the artifacts folder. */
  save(name: string): Promise<void>;
}

export async function record(
  context: BrowserContext,
  setup?: (page: Page) => Promise<void>,
): Promise<Recording> {
  const page = await context.newPage();
  if (setup) await setup(page);
  const sent: SentEvent[] = [];
  const problems: string[] = [];
  const network: string[] = [];
  const log: string[] = [];
  const at = (): string => new Date().toISOString().slice(11, 23);
  page.on('request', (request) => {
    if (!request.url().endsWith('/api/event')) return;
    const body = request.postData() ?? '';
    sent.push({
      url: request.url(),
      payload: JSON.parse(body) as EventPayload,
      type: request.resourceType(),
      headers: request.allHeaders(),
    });
    log.push(`${at()} ${request.resourceType()} ${request.url()} ${body}`);
  });
  page.on('requestfailed', (request) =>
    log.push(`${at()} failed ${request.url()}: ${request.failure()?.errorText}`),
  );
  page.on('console', (message) => {
    const text = message.text();
    log.push(`${at()} console.${message.type()}: ${text} (${message.location().url})`);
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    if (text.startsWith('Failed to load resource:')) network.push(`${message.location().url}: ${text}`);
    else problems.push(text);
  });
  page.on('pageerror', (error) => {
    log.push(`${at()} pageerror: ${error.message}`);
    problems.push(error.message);
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) log.push(`${at()} navigated ${frame.url()}`);
  });
  return {
    page,
    sent,
    problems,
    network,
    log,
    async save(name) {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      if (!page.isClosed())
        await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`) }).catch(() => {});
      writeFileSync(join(ARTIFACTS_DIR, `${name}.log`), `${log.join('\n')}\n`);
    },
  };
}

/** What a page leaves behind in the browser: it must be nothing at all. */
export async function traces(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(async () => ({
    cookie: document.cookie,
    localStorage: localStorage.length,
    sessionStorage: sessionStorage.length,
    indexedDB: (await indexedDB.databases()).length,
    caches: (await caches.keys()).length,
  }));
}
