/**
 * @module Recognises bots, crawlers and automation from the User-Agent, so that they are dropped.
 */
import { isbot } from 'isbot';

/**
 * isbot lists crawlers that announce themselves; these are headless browsers, test
 * runners and HTTP libraries, which look like a browser or nothing at all.
 */
const AUTOMATION =
  /HeadlessChrome|PhantomJS|Electron\/|Playwright|Puppeteer|Selenium|webdriver|Cypress|Lighthouse|curl\/|wget\/|python-requests|node-fetch|axios\//i;

/** Shorter than any real browser's UA; empty is the usual case. */
const MIN_UA_LENGTH = 10;

/**
 * isbot's pattern is one large regular expression, a few microseconds per test; UAs
 * repeat heavily, so answers are cached (bounded: cleared when full).
 */
const cache = new Map<string, boolean>();
const CACHE_MAX = 4096;

export function isBotUserAgent(ua: string): boolean {
  const known = cache.get(ua);
  if (known !== undefined) return known;
  const bot = ua.trim().length < MIN_UA_LENGTH || AUTOMATION.test(ua) || isbot(ua);
  if (cache.size >= CACHE_MAX) cache.clear();
  if (ua.length <= 1000) cache.set(ua, bot);
  return bot;
}
